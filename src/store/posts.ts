import type { Database } from 'better-sqlite3';
import { ConsolidatedPostSchema, mergePosts, type ConsolidatedPost } from '../consolidate/index.ts';

export interface AuthorRow {
  did: string;
  handle: string | null;
  active: number;
  status: string | null;
  updated_time_us: number;
}

/**
 * The `posts` and `authors` tables. Storing a post merges it with the copy already stored (firehose
 * and feed views keep the best of each, see mergePosts) and fills in the author's known handle;
 * the merged post is what gets evaluated.
 */
export class PostStore {
  private readonly selectPost;
  private readonly upsertPost;
  private readonly deletePost;
  private readonly prunePosts;
  private readonly selectPage;
  private readonly countPosts;
  private readonly selectAuthor;
  private readonly selectDidOfHandle;
  private readonly upsertHandle;
  private readonly upsertAccount;

  constructor(private readonly db: Database) {
    this.selectPost = db.prepare('SELECT post FROM posts WHERE uri = ?').pluck();
    this.upsertPost = db.prepare(
      `INSERT INTO posts (uri, did, cid, indexed_at, source, post) VALUES (@uri, @did, @cid, @indexed_at, @source, @post)
       ON CONFLICT(uri) DO UPDATE SET cid = excluded.cid, indexed_at = excluded.indexed_at, source = excluded.source, post = excluded.post`,
    );
    this.deletePost = db.prepare('DELETE FROM posts WHERE uri = ?');
    this.prunePosts = db.prepare('DELETE FROM posts WHERE indexed_at < ?');
    this.selectPage = db.prepare('SELECT post FROM posts WHERE (indexed_at, uri) < (@indexedAt, @uri) ORDER BY indexed_at DESC, uri DESC LIMIT @limit').pluck();
    this.countPosts = db.prepare('SELECT count(*) FROM posts WHERE indexed_at >= ?').pluck();
    this.selectAuthor = db.prepare('SELECT * FROM authors WHERE did = ?');
    this.selectDidOfHandle = db.prepare('SELECT did FROM authors WHERE handle = ? ORDER BY updated_time_us DESC LIMIT 1').pluck();
    // Events can arrive out of order across restarts (rewind): an older event never overwrites a newer one.
    // An identity event without a handle (a DID document change) keeps the handle we know.
    this.upsertHandle = db.prepare(
      `INSERT INTO authors (did, handle, updated_time_us) VALUES (?, ?, ?)
       ON CONFLICT(did) DO UPDATE SET handle = coalesce(excluded.handle, authors.handle), updated_time_us = excluded.updated_time_us WHERE excluded.updated_time_us >= authors.updated_time_us`,
    );
    this.upsertAccount = db.prepare(
      `INSERT INTO authors (did, active, status, updated_time_us) VALUES (?, ?, ?, ?)
       ON CONFLICT(did) DO UPDATE SET active = excluded.active, status = excluded.status, updated_time_us = excluded.updated_time_us WHERE excluded.updated_time_us >= authors.updated_time_us`,
    );
  }

  /** Stores the posts (one transaction) and returns each as merged with what was stored, handle filled in. */
  upsert(posts: readonly ConsolidatedPost[]): ConsolidatedPost[] {
    return this.db.transaction(() => posts.map((post) => this.upsertOne(post)))();
  }

  private upsertOne(post: ConsolidatedPost): ConsolidatedPost {
    const stored = this.get(post.uri);
    let merged = stored ? mergePosts(stored, post) : post;
    const handle = merged.author.handle ?? this.author(merged.author.did)?.handle;
    if (handle && !merged.author.handle) merged = { ...merged, author: { did: merged.author.did, handle } };
    this.upsertPost.run({ uri: merged.uri, did: merged.author.did, cid: merged.cid, indexed_at: merged.indexedAt, source: merged.source.name, post: JSON.stringify(merged) });
    return merged;
  }

  get(uri: string): ConsolidatedPost | undefined {
    const json = this.selectPost.get(uri) as string | undefined;
    return json === undefined ? undefined : ConsolidatedPostSchema.parse(JSON.parse(json));
  }

  /** Stored posts, newest first: the page after `after` (the last post of the previous page). */
  page(after: Pick<ConsolidatedPost, 'indexedAt' | 'uri'> | undefined, limit: number): ConsolidatedPost[] {
    // '\uffff' sorts after every ISO time: no `after` starts at the newest post.
    const from = after ?? { indexedAt: '\uffff', uri: '' };
    return (this.selectPage.all({ indexedAt: from.indexedAt, uri: from.uri, limit }) as string[]).map((json) => ConsolidatedPostSchema.parse(JSON.parse(json)));
  }

  /** Posts stored that were indexed at or after `since` (every post: the empty string). */
  countSince(since: string): number {
    return this.countPosts.get(since) as number;
  }

  delete(uris: readonly string[]): void {
    this.db.transaction(() => uris.forEach((uri) => this.deletePost.run(uri)))();
  }

  /** Removes posts indexed before `before`; returns how many. */
  prune(before: Date): number {
    return this.prunePosts.run(before.toISOString()).changes;
  }

  author(did: string): AuthorRow | undefined {
    return this.selectAuthor.get(did) as AuthorRow | undefined;
  }

  /** The DID last seen with this handle (from identity events), if any. */
  didOfHandle(handle: string): string | undefined {
    return this.selectDidOfHandle.get(handle.toLowerCase()) as string | undefined;
  }

  recordHandle(did: string, handle: string | undefined, timeUs: number): void {
    this.upsertHandle.run(did, handle ?? null, timeUs);
  }

  recordAccount(did: string, active: boolean, status: string | undefined, timeUs: number): void {
    this.upsertAccount.run(did, active ? 1 : 0, status ?? null, timeUs);
  }
}
