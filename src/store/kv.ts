import type { Database } from 'better-sqlite3';

/** The `kv` table: small named facts kept between runs. */
export class KeyValueStore {
  private readonly selectStmt;
  private readonly upsertStmt;

  constructor(db: Database) {
    this.selectStmt = db.prepare('SELECT value FROM kv WHERE key = ?').pluck();
    this.upsertStmt = db.prepare('INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at');
  }

  get(key: string): string | undefined {
    return this.selectStmt.get(key) as string | undefined;
  }

  set(key: string, value: string): void {
    this.upsertStmt.run(key, value, new Date().toISOString());
  }
}
