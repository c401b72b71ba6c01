import fs from 'node:fs';
import { consolidateFeedViewPost, type ConsolidatedPost, type PostRecord } from '../../src/consolidate/index.ts';
import { fixture } from './fixtures.ts';

/** A real post from `test/fixtures/feeds/<file>`, consolidated as a feed sync would. */
export function feedPost(file: string, index: number): ConsolidatedPost {
  const feed = JSON.parse(fs.readFileSync(fixture(`feeds/${file}`), 'utf8')) as { feed: unknown[] };
  const result = consolidateFeedViewPost(feed.feed[index], 'test', '2026-07-04T00:00:00.000Z');
  if (result.kind !== 'post') throw new Error(`feed post ${file}#${index} did not consolidate`);
  return result.post;
}

/** The same post with its record changed, for cases the recorded data lacks (videos, self-labels). */
export function withRecord(post: ConsolidatedPost, record: Partial<PostRecord>): ConsolidatedPost {
  return { ...post, record: { ...post.record, ...record } };
}
