import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { migrate } from './migrations.ts';

export type { Database } from 'better-sqlite3';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

export interface OpenedDatabase {
  db: Database.Database;
  applied: string[];
}

/** Opens an existing database file read-only and as it is (no migration), for commands that only look; undefined when there is none. */
export function openExistingDatabaseReadOnly(file: string): Database.Database | undefined {
  return fs.existsSync(file) ? new Database(file, { readonly: true, fileMustExist: true }) : undefined;
}

/** Opens (creating if needed) the one database file in WAL mode and brings its schema up to date. */
export function openDatabase(file: string, migrationsDir = MIGRATIONS_DIR): OpenedDatabase {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    const applied = migrate(db, migrationsDir);
    return { db, applied };
  } catch (error) {
    db.close();
    throw error;
  }
}
