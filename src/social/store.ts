import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import type { FetchedSet } from './appview.ts';

const RowSchema = z.object({ members: z.string(), records: z.string(), source: z.string().nullable(), expires_at: z.string() });
const MembersSchema = z.array(z.string());
const RecordsSchema = z.array(z.tuple([z.string(), z.string()]));

export interface CachedSet extends FetchedSet {
  expiresAt: number;
}

/** The `social_sets` table: membership sets with their expiry, so a restart does not refetch fresh sets. */
export class SocialSetStore {
  private readonly selectStmt;
  private readonly upsertStmt;
  private readonly updateMembersStmt;
  private readonly updateAll;
  private readonly expireStmt;

  constructor(db: Database) {
    this.selectStmt = db.prepare('SELECT members, records, source, expires_at FROM social_sets WHERE key = ?');
    this.upsertStmt = db.prepare(
      `INSERT INTO social_sets (key, members, records, source, fetched_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET members = excluded.members, records = excluded.records, source = excluded.source,
         fetched_at = excluded.fetched_at, expires_at = excluded.expires_at`,
    );
    this.updateMembersStmt = db.prepare('UPDATE social_sets SET members = ?, records = ?, source = ? WHERE key = ?');
    this.expireStmt = db.prepare('UPDATE social_sets SET expires_at = ? WHERE key = ? AND expires_at > ?');
    this.updateAll = db.transaction((sets: readonly (readonly [string, FetchedSet])[]) => {
      for (const [key, set] of sets) this.updateMembersStmt.run(JSON.stringify(set.members), JSON.stringify(set.records), set.source ?? null, key);
    });
  }

  get(key: string): CachedSet | undefined {
    const row = RowSchema.safeParse(this.selectStmt.get(key));
    if (!row.success) return undefined;
    const { members, records, source, expires_at } = row.data;
    return { members: MembersSchema.parse(JSON.parse(members)), records: RecordsSchema.parse(JSON.parse(records)), ...(source !== null && { source }), expiresAt: Date.parse(expires_at) };
  }

  put(key: string, set: FetchedSet, fetchedAt: number, expiresAt: number): void {
    this.upsertStmt.run(key, JSON.stringify(set.members), JSON.stringify(set.records), set.source ?? null, new Date(fetchedAt).toISOString(), new Date(expiresAt).toISOString());
  }

  /** Marks a set stale from `at` on: nothing keeps it current any more, so using it again means refetching it. */
  expire(key: string, at: number): void {
    const iso = new Date(at).toISOString();
    this.expireStmt.run(iso, key, iso);
  }

  /** Live changes to cached sets, in one transaction; their fetch time and expiry stay as they were. */
  updateMembers(sets: readonly (readonly [string, FetchedSet])[]): void {
    this.updateAll(sets);
  }
}
