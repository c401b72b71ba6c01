import { consolidateJetstreamEvent, type ConsolidatedPost } from '../../src/consolidate/index.ts';
import { recordedEvents } from './capture.ts';

/** The posts of the recorded Jetstream capture, consolidated. */
export function recordedPosts(): ConsolidatedPost[] {
  return recordedEvents().flatMap((event) => {
    const result = consolidateJetstreamEvent(event);
    return result.kind === 'post' ? [result.post] : [];
  });
}
