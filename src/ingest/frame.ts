import { JetstreamEventSchema, type JetstreamEvent } from '../consolidate/index.ts';
import { describeIssues } from '../consolidate/result.ts';

export type MalformedReason = 'binary' | 'oversized' | 'invalid-json' | 'unknown-kind' | 'missing-fields';

/** One Jetstream message read: an event, or why it was skipped. */
export type Frame = { event: JetstreamEvent } | { reason: MalformedReason; detail: string };

const KINDS = new Set(['commit', 'identity', 'account']);

/**
 * Checks one raw WebSocket message before it is queued, so every bad message is counted by reason
 * (the library's own handler drops commits missing fields without a trace). Pure.
 */
export function readFrame(data: unknown, maxBytes: number): Frame {
  if (typeof data !== 'string') return { reason: 'binary', detail: 'binary frame' };
  const bytes = Buffer.byteLength(data);
  if (bytes > maxBytes) return { reason: 'oversized', detail: `${bytes} bytes > ${maxBytes}` };
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch (error) {
    return { reason: 'invalid-json', detail: (error as Error).message };
  }
  const kind = (json as { kind?: unknown } | null)?.kind;
  if (typeof kind !== 'string' || !KINDS.has(kind)) return { reason: 'unknown-kind', detail: `kind ${JSON.stringify(kind)}` };
  const event = JetstreamEventSchema.safeParse(json);
  if (!event.success) return { reason: 'missing-fields', detail: describeIssues(event.error) };
  return { event: event.data };
}
