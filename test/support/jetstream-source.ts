import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { JetstreamSource, type JetstreamSourceOptions } from '../../src/ingest/jetstream.ts';
import { Metrics } from '../../src/metrics.ts';
import { openDatabase } from '../../src/store/database.ts';
import { KeyValueStore } from '../../src/store/kv.ts';

/** A JetstreamSource over a real SQLite file in a temp dir; `reopen` starts a fresh consumer on the same database. */
export function sourceOnTempDatabase(base: Partial<JetstreamSourceOptions> & Pick<JetstreamSourceOptions, 'endpoint' | 'handle'>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-source-'));
  const { db } = openDatabase(path.join(dir, 'skysift.sqlite'));
  const kv = new KeyValueStore(db);
  const metrics = new Metrics();
  const open = (overrides: Partial<JetstreamSourceOptions> = {}) =>
    new JetstreamSource({ wantedCollections: [], kv, logger: pino({ level: 'silent' }), metrics, rewindSeconds: 0, queueMax: 4096, maxMessageBytes: 1_000_000, ...base, ...overrides });
  return {
    kv,
    metrics,
    open,
    cleanup() {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
