import fs from 'node:fs';
import { consolidateJetstreamEvent } from '../../src/consolidate/index.ts';
import { fixture } from './fixtures.ts';
import { shippedVerdicts } from './shipped-manifests.ts';

export interface RecordedEvent {
  time_us: number;
  kind: string;
  did: string;
  commit?: { collection: string; rkey: string; operation: string; record?: Record<string, unknown> };
}

/** The recorded Jetstream capture `expected_v1.jsonl`, one object per event. */
export function recordedEvents(): RecordedEvent[] {
  return fs
    .readFileSync(fixture('jetstream/expected_v1.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

/** The Jetstream time of the last post event of `events`: a service's cursor past it has read every post. */
export const lastPostTime = (events: readonly RecordedEvent[]): number =>
  Math.max(...events.filter((e) => e.kind === 'commit' && e.commit?.collection === 'app.bsky.feed.post').map((e) => e.time_us));

/** The recorded capture repeated with new rkeys and later, distinct times: `rounds` × 152 events. */
export function amplifiedCapture(rounds: number): RecordedEvent[] {
  const events = recordedEvents();
  const start = Math.min(...events.map((e) => e.time_us));
  return Array.from({ length: rounds }, (_, round) =>
    events.map((e, i) => ({
      ...e,
      time_us: start + (round * events.length + i) * 100,
      ...(e.commit && { commit: { ...e.commit, rkey: `${e.commit.rkey}r${round}` } }),
    })),
  ).flat();
}

/** "uri value" of every label a clean run of the manifests in `dir` leaves active after `events`. */
export async function expectedActiveLabels(events: readonly unknown[], dir = 'manifests'): Promise<string[]> {
  const results = events.map(consolidateJetstreamEvent);
  const posts = results.flatMap((r) => (r.kind === 'post' ? [r.post] : []));
  const deleted = new Set(results.flatMap((r) => (r.kind === 'post-delete' ? [r.uri] : [])));
  return (await shippedVerdicts(posts, dir)).verdicts
    .filter((v) => v.matched && !deleted.has(v.uri))
    .map((v) => `${v.uri} ${v.label}`)
    .sort();
}

/** Labels as `queryLabels` lists them → the "uri value" keys whose latest label is not a negation. */
export function activeKeys(labels: readonly Record<string, unknown>[]): string[] {
  const active = new Map<string, boolean>();
  for (const l of labels) active.set(`${l.uri} ${l.val}`, !l.neg);
  return [...active]
    .filter(([, on]) => on)
    .map(([key]) => key)
    .sort();
}

export { freePort } from './ports.ts';
