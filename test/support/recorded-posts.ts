import fs from 'node:fs';
import { consolidateFeedViewPost, consolidateJetstreamEvent, type ConsolidatedPost } from '../../src/consolidate/index.ts';
import { recordedEvents } from './capture.ts';
import { feedFiles, fixture } from './fixtures.ts';

/** The posts of the recorded Jetstream capture, consolidated. */
export function recordedPosts(): ConsolidatedPost[] {
  return recordedEvents().flatMap((event) => {
    const result = consolidateJetstreamEvent(event);
    return result.kind === 'post' ? [result.post] : [];
  });
}

/** Every recorded post once: the Jetstream capture's and the feed views' (617 real posts). */
export function recordedTraffic(): ConsolidatedPost[] {
  const consolidated = recordedEvents().map(consolidateJetstreamEvent);
  for (const file of feedFiles()) {
    const feed = JSON.parse(fs.readFileSync(fixture(`feeds/${file}`), 'utf8'));
    for (const item of feed.feed) consolidated.push(consolidateFeedViewPost(item, 'bench', '2026-07-04T00:00:00.000Z'));
  }
  return consolidated.flatMap((r) => (r.kind === 'post' ? [r.post] : []));
}
