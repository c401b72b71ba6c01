import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';

const MIGRATION_FILE = /^(\d+)_[A-Za-z0-9_-]+\.sql$/;

export interface Migration {
  version: number;
  file: string;
  sql: string;
}

export class MigrationError extends Error {
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(`Migration ${file} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'MigrationError';
  }
}

/** Reads `NNN_name.sql` files in version order; two files with one version are an error. */
export function readMigrations(dir: string): Migration[] {
  const migrations = fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = MIGRATION_FILE.exec(file);
      if (!match) throw new MigrationError(file, new Error('name must look like 001_description.sql'));
      return { version: Number(match[1]), file, sql: fs.readFileSync(path.join(dir, file), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw new MigrationError(migrations[i]!.file, new Error(`version ${migrations[i]!.version} is also used by ${migrations[i - 1]!.file}`));
    }
  }
  return migrations;
}

/**
 * Applies the pending migrations in one transaction: either all of them land and are recorded,
 * or the database is left exactly as it was and the failing file is named.
 */
export function migrate(db: Database, dir: string): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    file TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  const pending = readMigrations(dir).filter((m) => !applied.has(m.version));
  const record = db.prepare('INSERT INTO schema_migrations (version, file, applied_at) VALUES (?, ?, ?)');
  db.transaction(() => {
    for (const migration of pending) {
      try {
        db.exec(migration.sql);
      } catch (error) {
        throw new MigrationError(migration.file, error);
      }
      record.run(migration.version, migration.file, new Date().toISOString());
    }
  })();
  return pending.map((m) => m.file);
}
