/** Recorded posts (Jetstream capture + feed views) varied deterministically into as many as a benchmark needs. */
import type { ConsolidatedPost } from '../src/consolidate/index.ts';
import { recordedTraffic } from '../test/support/recorded-posts.ts';

export function recordedPosts(count: number): ConsolidatedPost[] {
  const base = recordedTraffic();
  return Array.from({ length: count }, (_, i) => {
    const post = base[i % base.length]!;
    const round = Math.floor(i / base.length);
    return { ...post, uri: `${post.uri}-${round}`, author: { did: `${post.author.did}${round}` } };
  });
}

/** The distinct non-empty texts of the recorded posts. */
export function recordedTexts(): string[] {
  return [...new Set(recordedTraffic().map((p) => p.record.text))].filter((t) => t.trim());
}
