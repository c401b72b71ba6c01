import fs from 'node:fs';
import { consolidateJetstreamEvent, type ConsolidatedPost } from '../../src/consolidate/index.ts';
import { sharedData } from './shared.ts';

/** The posts of the recorded Jetstream capture, consolidated. */
export function recordedPosts(file = 'jetstream/expected_v1.jsonl'): ConsolidatedPost[] {
  return fs
    .readFileSync(sharedData(file), 'utf8')
    .trim()
    .split('\n')
    .flatMap((line) => {
      const result = consolidateJetstreamEvent(JSON.parse(line));
      return result.kind === 'post' ? [result.post] : [];
    });
}
