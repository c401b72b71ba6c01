/** Recorded posts (Jetstream capture + feed views) varied deterministically into as many as a benchmark needs. */
import fs from 'node:fs';
import { consolidateFeedViewPost, consolidateJetstreamEvent, type ConsolidatedPost } from '../src/consolidate/index.ts';

const shared = new URL('../../shared/data/', import.meta.url);

export function recordedPosts(count: number): ConsolidatedPost[] {
  const events = fs.readFileSync(new URL('jetstream/expected_v1.jsonl', shared), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const consolidated = events.map(consolidateJetstreamEvent);
  for (const file of fs.readdirSync(new URL('feeds/', shared))) {
    const feed = JSON.parse(fs.readFileSync(new URL(`feeds/${file}`, shared), 'utf8'));
    for (const item of feed.feed) consolidated.push(consolidateFeedViewPost(item, 'bench', '2026-07-04T00:00:00.000Z'));
  }
  const base = consolidated.flatMap((r) => (r.kind === 'post' ? [r.post] : []));
  return Array.from({ length: count }, (_, i) => {
    const post = base[i % base.length]!;
    const round = Math.floor(i / base.length);
    return { ...post, uri: `${post.uri}-${round}`, author: { did: `${post.author.did}${round}` } };
  });
}
