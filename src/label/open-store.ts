import type { Database } from 'better-sqlite3';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { openPostgres } from '../store/postgres.ts';
import { PostgresLabelStore } from './postgres-store.ts';
import { SqliteLabelStore } from './sqlite-store.ts';
import type { LabelStore } from './store.ts';

export interface OpenedLabelStore {
  store: LabelStore;
  close(): Promise<void>;
}

/** The label store the configuration names: PostgreSQL at DATABASE_URL, else the SQLite database `db`. */
export async function openLabelStore(config: Pick<Config, 'DATABASE_URL'>, db: Database, logger: Logger): Promise<OpenedLabelStore> {
  return config.DATABASE_URL ? openPostgresLabelStore(config.DATABASE_URL, logger) : { store: new SqliteLabelStore(db), close: async () => {} };
}

/** The PostgreSQL label store at `url`, its schema brought up to date. */
export async function openPostgresLabelStore(url: string, logger: Logger): Promise<OpenedLabelStore> {
  const { pool, applied } = await openPostgres(url);
  try {
    const store = await PostgresLabelStore.open(pool, logger);
    const { host, port, pathname } = new URL(url);
    logger.info({ host, port, database: pathname.slice(1), migrationsApplied: applied }, 'label store: PostgreSQL');
    return {
      store,
      async close() {
        await store.close();
        await pool.end();
      },
    };
  } catch (error) {
    await pool.end();
    throw error;
  }
}
