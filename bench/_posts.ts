/** Recorded posts (Jetstream capture + feed views) varied deterministically into as many as a benchmark needs. */
import fs from 'node:fs';
import type { Consolidated } from '../src/consolidate/jetstream.ts';
import type { ConsolidatedPost } from '../src/consolidate/post.ts';

const shared = new URL('../../shared/data/', import.meta.url);

export function recordedPosts(count: number, consolidate: (event: unknown) => Consolidated): ConsolidatedPost[] {
  const events = fs.readFileSync(new URL('jetstream/expected_v1.jsonl', shared), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const base: ConsolidatedPost[] = events.map(consolidate).flatMap((r) => (r.kind === 'post' ? [r.post] : []));
  for (const file of fs.readdirSync(new URL('feeds/', shared))) {
    const feed = JSON.parse(fs.readFileSync(new URL(`feeds/${file}`, shared), 'utf8'));
    for (const { post } of feed.feed) {
      base.push({ uri: post.uri, cid: post.cid, author: { did: post.author.did }, indexedAt: post.indexedAt, record: post.record, source: { name: 'feed:bench', syncedAt: post.indexedAt } });
    }
  }
  return Array.from({ length: count }, (_, i) => {
    const post = base[i % base.length]!;
    const round = Math.floor(i / base.length);
    return { ...post, uri: `${post.uri}-${round}`, author: { did: `${post.author.did}${round}` } };
  });
}
