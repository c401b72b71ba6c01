import fs from 'node:fs';
import type { ConsolidatedPost, PostRecord } from '../../src/consolidate/post.ts';
import { sharedData } from './shared.ts';

/** A real post from `../shared/data/feeds/<file>`, wrapped as a consolidated post for operator tests. */
export function feedPost(file: string, index: number): ConsolidatedPost {
  const feed = JSON.parse(fs.readFileSync(sharedData(`feeds/${file}`), 'utf8')) as { feed: { post: { uri: string; cid: string; author: { did: string; handle?: string }; indexedAt: string; record: PostRecord } }[] };
  const { post } = feed.feed[index]!;
  return { uri: post.uri, cid: post.cid, author: { did: post.author.did, handle: post.author.handle }, indexedAt: post.indexedAt, record: post.record, source: { name: 'feed:test', syncedAt: post.indexedAt } };
}

/** The same post with its record changed, for cases the recorded data lacks (videos, self-labels). */
export function withRecord(post: ConsolidatedPost, record: Partial<PostRecord>): ConsolidatedPost {
  return { ...post, record: { ...post.record, ...record } };
}
