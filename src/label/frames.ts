import { encode } from '@atcute/cbor';
import { wireLabel, type StoredLabel } from './label.ts';

/** One `#labels` message of subscribeLabels: its seq, the id of its first label, and the frame as sent. */
export interface LabelEvent {
  seq: number;
  firstId: number;
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
  for (let start = 0; start < labels.length; ) {
    let end = start + 1;
    while (end < labels.length && labels[end]!.seq === labels[start]!.seq) end++;
    const group = labels.slice(start, end);
    const seq = group[0]!.seq;
    events.push({ seq, firstId: group[0]!.id, frame: messageFrame('#labels', { seq, labels: group.map(wireLabel) }) });
    start = end;
  }
  return events;
}
