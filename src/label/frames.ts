import { encode } from '@atcute/cbor';
import { wireLabel, type StoredLabel } from './label.ts';

/** One `#labels` message of subscribeLabels: its seq, its labels, and the frame as sent (encoded once for every subscriber). */
export interface LabelEvent {
  seq: number;
  labels: StoredLabel[];
  frame: Uint8Array;
}

const frame = (header: object, body: object): Uint8Array => Buffer.concat([encode(header), encode(body)]);

/** An XRPC event-stream message frame: header `{op: 1, t}` then the body, both DAG-CBOR. */
export const messageFrame = (type: '#labels' | '#info', body: object): Uint8Array => frame({ op: 1, t: type }, body);

/** An XRPC event-stream error frame (`{op: -1}`); the server closes the stream after it. */
export const errorFrame = (error: string, message: string): Uint8Array => frame({ op: -1 }, { error, message });

/** Labels in log order → one event per seq. */
export function toEvents(labels: readonly StoredLabel[]): LabelEvent[] {
  const events: LabelEvent[] = [];
  let group: StoredLabel[] = [];
  const flush = () => {
    if (!group.length) return;
    const seq = group[0]!.seq;
    events.push({ seq, labels: group, frame: messageFrame('#labels', { seq, labels: group.map(wireLabel) }) });
    group = [];
  };
  for (const label of labels) {
    if (group.length && group[0]!.seq !== label.seq) flush();
    group.push(label);
  }
  flush();
  return events;
}
