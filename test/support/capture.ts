import fs from 'node:fs';
import { sharedData } from './shared.ts';

export interface RecordedEvent {
  time_us: number;
  kind: string;
  did: string;
  commit?: { collection: string; rkey: string; operation: string; record?: Record<string, unknown> };
}

/** The recorded Jetstream capture `expected_v1.jsonl`, one object per event. */
export function recordedEvents(): RecordedEvent[] {
  return fs
    .readFileSync(sharedData('jetstream/expected_v1.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

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
