import type { Database } from 'better-sqlite3';

/** One post's verdict under an account manifest (`label`), as the window keeps it. */
export interface WindowPost {
  label: string;
  uri: string;
  did: string;
  /** When the post was seen, ms since the epoch. */
  seenAt: number;
  matched: boolean;
}

/** An account under one account manifest. */
export interface AccountKey {
  label: string;
  did: string;
}

/** Posts seen in a window and how many of them the filter matched. */
export interface WindowCounts {
  posts: number;
  matched: number;
}

/**
 * The `account_window_posts` table: per label and author, the posts an account manifest decided, so
 * that its share can be counted over the last days and survives a restart. Writes are idempotent: a
 * post seen again (a replay, an edit) replaces its row and keeps when it was first seen.
 */
export class AccountWindowStore {
  private readonly upsertRow;
  private readonly deleteUri;
  private readonly deleteDid;
  private readonly selectCounts;
  private readonly selectExpired;
  private readonly deleteExpired;
  private readonly deleteLabel;
  private readonly selectLabels;

  constructor(private readonly db: Database) {
    this.upsertRow = db.prepare(
      `INSERT INTO account_window_posts (label, uri, did, seen_at, matched) VALUES (@label, @uri, @did, @seenAt, @matched)
       ON CONFLICT(label, uri) DO UPDATE SET matched = excluded.matched, seen_at = min(seen_at, excluded.seen_at)`,
    );
    this.deleteUri = db.prepare('DELETE FROM account_window_posts WHERE label = ? AND uri = ? RETURNING label, did');
    this.deleteDid = db.prepare('DELETE FROM account_window_posts WHERE label = ? AND did = ? RETURNING label, did');
    this.selectCounts = db.prepare('SELECT count(*) AS posts, coalesce(sum(matched), 0) AS matched FROM account_window_posts WHERE label = ? AND did = ? AND seen_at >= ?');
    this.selectExpired = db.prepare('SELECT DISTINCT did FROM account_window_posts WHERE label = ? AND seen_at < ?').pluck();
    this.deleteExpired = db.prepare('DELETE FROM account_window_posts WHERE label = ? AND seen_at < ?');
    this.deleteLabel = db.prepare('DELETE FROM account_window_posts WHERE label = ?');
    this.selectLabels = db.prepare('SELECT DISTINCT label FROM account_window_posts').pluck();
  }

  /** Records the verdicts (one transaction). */
  record(posts: readonly WindowPost[]): void {
    if (!posts.length) return;
    this.db.transaction(() => {
      for (const p of posts) this.upsertRow.run({ ...p, matched: p.matched ? 1 : 0 });
    })();
  }

  /** Forgets deleted posts under these labels; returns the accounts whose windows changed. */
  deletePosts(labels: readonly string[], uris: readonly string[]): AccountKey[] {
    if (!uris.length || !labels.length) return [];
    return this.db.transaction(() => uris.flatMap((uri) => labels.flatMap((label) => this.deleteUri.all(label, uri) as AccountKey[])))();
  }

  /** Forgets every post of a deleted account under these labels; returns the accounts (one per label) whose windows changed. */
  deleteAccount(labels: readonly string[], did: string): AccountKey[] {
    return this.db.transaction(() => unique(labels.flatMap((label) => this.deleteDid.all(label, did) as AccountKey[])))();
  }

  /** The account's posts seen at or after `since` (ms), and how many matched. */
  counts({ label, did }: AccountKey, since: number): WindowCounts {
    return this.selectCounts.get(label, did, since) as WindowCounts;
  }

  /** Removes the label's rows seen before `before` (ms); returns the accounts that had any. */
  expire(label: string, before: number): string[] {
    return this.db.transaction(() => {
      const dids = this.selectExpired.all(label, before) as string[];
      this.deleteExpired.run(label, before);
      return dids;
    })();
  }

  /** Drops the rows of labels no account manifest has any more; returns those labels. */
  retain(labels: ReadonlySet<string>): string[] {
    const gone = (this.selectLabels.all() as string[]).filter((label) => !labels.has(label));
    this.db.transaction(() => gone.forEach((label) => this.deleteLabel.run(label)))();
    return gone;
  }
}

export function unique(keys: readonly AccountKey[]): AccountKey[] {
  return [...new Map(keys.map((k) => [`${k.label}\u0000${k.did}`, k])).values()];
}
