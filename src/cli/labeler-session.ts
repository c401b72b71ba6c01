import os from 'node:os';
import type { Database } from 'better-sqlite3';
import { databasePath, type Config } from '../config.ts';
import { resolveIdentity } from '../label/identity.ts';
import { Labeler } from '../label/index.ts';
import { openLabelStore } from '../label/open-store.ts';
import { stderrLogger } from '../log.ts';
import { openDatabase } from '../store/database.ts';
import type { CommandOption } from './command.ts';

/**
 * Runs `work` with the labeler of DATA_DIR: its database, its label store (PostgreSQL where
 * DATABASE_URL names one) and its signing identity, so that what a command decides is signed and
 * logged like any label. A running service serves the labels it commits (either label store notices
 * commits of other processes).
 */
export async function withLabeler<T>(config: Config, work: (labeler: Labeler, db: Database) => Promise<T>): Promise<T> {
  const { db } = openDatabase(databasePath(config));
  try {
    const logger = stderrLogger(config.LOG_LEVEL);
    const identity = await resolveIdentity(config, logger);
    const labels = await openLabelStore(config, db, logger);
    const labeler = new Labeler({ identity, db, store: labels.store, dataDir: config.DATA_DIR, logger });
    try {
      return await work(labeler, db);
    } finally {
      await labeler.close();
      await labels.close();
    }
  } finally {
    db.close();
  }
}

/** `--by`: who takes a decision by hand, recorded with it. */
export const BY_OPTION: CommandOption = { type: 'string', value: '<name>', description: 'Who decides, recorded with the decision.', default: 'the login name of this user' };

export const decidedBy = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim() : os.userInfo().username);
