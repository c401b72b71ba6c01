/** Recorded posts (Jetstream capture + feed views) varied deterministically into as many as a benchmark needs. */
import fs from 'node:fs';
import { consolidateFeedViewPost, consolidateJetstreamEvent, type ConsolidatedPost } from '../src/consolidate/index.ts';
import { feedFiles, fixture } from '../test/support/fixtures.ts';

/** Every recorded post once: the capture's and the feed views'. */
function distinctPosts(): ConsolidatedPost[] {
  const events = fs.readFileSync(fixture('jetstream/expected_v1.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const consolidated = events.map(consolidateJetstreamEvent);
  for (const file of feedFiles()) {
    const feed = JSON.parse(fs.readFileSync(fixture(`feeds/${file}`), 'utf8'));
    for (const item of feed.feed) consolidated.push(consolidateFeedViewPost(item, 'bench', '2026-07-04T00:00:00.000Z'));
  }
  return consolidated.flatMap((r) => (r.kind === 'post' ? [r.post] : []));
}

export function recordedPosts(count: number): ConsolidatedPost[] {
  const base = distinctPosts();
  return Array.from({ length: count }, (_, i) => {
    const post = base[i % base.length]!;
    const round = Math.floor(i / base.length);
    return { ...post, uri: `${post.uri}-${round}`, author: { did: `${post.author.did}${round}` } };
  });
}

/** The distinct non-empty texts of the recorded posts. */
export function recordedTexts(): string[] {
  return [...new Set(distinctPosts().map((p) => p.record.text))].filter((t) => t.trim());
}
