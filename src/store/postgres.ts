import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { MigrationError, readMigrations } from './migrations.ts';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export const POSTGRES_MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/postgres/', import.meta.url));

/** Serialises schema changes of processes starting together against one database (any constant of ours). */
const MIGRATION_LOCK = 0x736b7973_0001;

export interface OpenedPostgres {
  pool: Pool;
  applied: string[];
}

/**
 * Connects to PostgreSQL and brings its schema up to date from `migrations/postgres/`, like the SQLite
 * file's: pending migrations in one transaction, recorded, all or nothing. Processes starting at once
 * take turns under an advisory lock, so each migration runs once.
 */
export async function openPostgres(url: string, migrationsDir = POSTGRES_MIGRATIONS_DIR, max = 10): Promise<OpenedPostgres> {
  const pool = new pg.Pool({ connectionString: url, max });
  // An idle client whose server went away must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, file TEXT NOT NULL, applied_at TEXT NOT NULL)');
      const applied = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
      const pending = readMigrations(migrationsDir).filter((m) => !applied.has(m.version));
      for (const migration of pending) {
        try {
          await client.query(migration.sql);
        } catch (error) {
          throw new MigrationError(migration.file, error);
        }
        await client.query('INSERT INTO schema_migrations (version, file, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.file, new Date().toISOString()]);
      }
      await client.query('COMMIT');
      return { pool, applied: pending.map((m) => m.file) };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end();
    throw error;
  }
}
