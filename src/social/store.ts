import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import type { FetchedSet } from './appview.ts';
import { applyChange, liveSet, type LiveSet, type RecordChange } from './live-set.ts';

const RowSchema = z.object({ members: z.string(), records: z.string(), source: z.string().nullable(), expires_at: z.string() });
const MembersSchema = z.array(z.string());
const RecordsSchema = z.array(z.tuple([z.string(), z.string()]));
const ChangeSchema = z.object({ record: z.string(), member: z.string().nullable() });

/** A set in the shape live events update, and when its fetched copy goes stale. */
export interface CachedSet {
  set: LiveSet;
  expiresAt: number;
}

/**
 * The `social_sets` table: membership sets with their expiry, so a restart does not refetch fresh sets,
 * and `social_set_changes`: what live events changed in them since, so a restart does not lose that either.
 */
export class SocialSetStore {
  private readonly selectStmt;
  private readonly selectChangesStmt;
  private readonly expireStmt;
  private readonly putAll;
  private readonly appendAll;

  constructor(db: Database) {
    this.selectStmt = db.prepare('SELECT members, records, source, expires_at FROM social_sets WHERE key = ?');
    this.selectChangesStmt = db.prepare('SELECT record, member FROM social_set_changes WHERE key = ? ORDER BY id');
    this.expireStmt = db.prepare('UPDATE social_sets SET expires_at = ? WHERE key = ? AND expires_at > ?');
    const upsert = db.prepare(
      `INSERT INTO social_sets (key, members, records, source, fetched_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET members = excluded.members, records = excluded.records, source = excluded.source,
         fetched_at = excluded.fetched_at, expires_at = excluded.expires_at`,
    );
    const clearChanges = db.prepare('DELETE FROM social_set_changes WHERE key = ?');
    const appendChange = db.prepare('INSERT INTO social_set_changes (key, record, member) VALUES (?, ?, ?)');
    this.putAll = db.transaction((key: string, set: FetchedSet, fetchedAt: number, expiresAt: number) => {
      upsert.run(key, JSON.stringify(set.members), JSON.stringify(set.records), set.source ?? null, new Date(fetchedAt).toISOString(), new Date(expiresAt).toISOString());
      clearChanges.run(key);
    });
    this.appendAll = db.transaction((changes: ReadonlyMap<string, readonly RecordChange[]>) => {
      for (const [key, list] of changes) for (const [record, member] of list) appendChange.run(key, record, member);
    });
  }

  /** The set as last fetched, with the live changes recorded since replayed over it. */
  get(key: string): CachedSet | undefined {
    const row = RowSchema.safeParse(this.selectStmt.get(key));
    if (!row.success) return undefined;
    const { members, records, source, expires_at } = row.data;
    const set = liveSet({ members: MembersSchema.parse(JSON.parse(members)), records: RecordsSchema.parse(JSON.parse(records)), ...(source !== null && { source }) });
    for (const change of this.selectChangesStmt.all(key)) {
      const { record, member } = ChangeSchema.parse(change);
      applyChange(set, [record, member]);
    }
    return { set, expiresAt: Date.parse(expires_at) };
  }

  /** A freshly fetched set; the changes recorded for the previous copy are dropped with it. */
  put(key: string, set: FetchedSet, fetchedAt: number, expiresAt: number): void {
    this.putAll(key, set, fetchedAt, expiresAt);
  }

  /** Live changes to cached sets, appended in one transaction; fetch time and expiry stay as they were. */
  appendChanges(changes: ReadonlyMap<string, readonly RecordChange[]>): void {
    this.appendAll(changes);
  }

  /** Marks a set stale from `at` on: nothing keeps it current any more, so using it again means refetching it. */
  expire(key: string, at: number): void {
    const iso = new Date(at).toISOString();
    this.expireStmt.run(iso, key, iso);
  }
}
