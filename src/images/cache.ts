import type { Database } from 'better-sqlite3';

const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * Per-image results in SQLite (`image_cache`, migration 008), by kind (`nsfw`, `phash`), the version of
 * what computed them and the blob's CID: an image seen again, in another post or after a restart, is
 * neither downloaded nor computed again. Rows older than `maxAgeDays` are pruned about hourly.
 */
export class ImageCache {
  private readonly selectStmt;
  private readonly insertStmt;
  private readonly pruneStmt;
  private lastPrune = 0;

  constructor(
    db: Database,
    private readonly maxAgeDays: number,
  ) {
    this.selectStmt = db.prepare<[string, string, string], { value: string }>('SELECT value FROM image_cache WHERE kind = ? AND version = ? AND cid = ?');
    const insert = db.prepare('INSERT INTO image_cache (kind, version, cid, value, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value, created_at = excluded.created_at');
    this.insertStmt = db.transaction((kind: string, version: string, entries: readonly (readonly [string, string])[], at: number) => {
      for (const [cid, value] of entries) insert.run(kind, version, cid, value, at);
    });
    this.pruneStmt = db.prepare<[number]>('DELETE FROM image_cache WHERE created_at < ?');
  }

  get(kind: string, version: string, cid: string): string | undefined {
    return this.selectStmt.get(kind, version, cid)?.value;
  }

  put(kind: string, version: string, entries: readonly (readonly [string, string])[]): void {
    const now = Date.now();
    if (entries.length) this.insertStmt(kind, version, entries, now);
    if (now - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = now;
      this.pruneStmt.run(now - this.maxAgeDays * 86_400_000);
    }
  }
}
