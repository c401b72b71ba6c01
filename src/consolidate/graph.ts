import { z } from 'zod';
import { JetstreamEventSchema } from './jetstream.ts';

export const FOLLOW_COLLECTION = 'app.bsky.graph.follow';
export const LISTITEM_COLLECTION = 'app.bsky.graph.listitem';

const FollowRecordSchema = z.looseObject({ subject: z.string().startsWith('did:') });
const ListItemRecordSchema = z.looseObject({ subject: z.string().startsWith('did:'), list: z.string().startsWith('at://') });

/**
 * A change to the social graph as Jetstream reports it. A delete carries only the record's rkey:
 * whoever applies it must remember what that record pointed at.
 */
export type GraphEvent =
  | { kind: 'follow'; operation: 'create'; did: string; rkey: string; subject: string }
  | { kind: 'listitem'; operation: 'create'; did: string; rkey: string; subject: string; list: string }
  | { kind: 'follow' | 'listitem'; operation: 'delete'; did: string; rkey: string };

const kinds = new Map<unknown, 'follow' | 'listitem'>([
  [FOLLOW_COLLECTION, 'follow'],
  [LISTITEM_COLLECTION, 'listitem'],
]);

/** The graph change in one raw Jetstream event, or undefined for anything else (including malformed records). */
export function parseGraphEvent(input: unknown): GraphEvent | undefined {
  // Most of the stream is posts and likes: only a follow or list-item commit is worth validating.
  const collection = (input as { commit?: { collection?: unknown } } | null)?.commit?.collection;
  if (!kinds.has(collection)) return undefined;
  const event = JetstreamEventSchema.safeParse(input);
  if (!event.success || event.data.kind !== 'commit') return undefined;
  const { did, commit } = event.data;
  const kind = kinds.get(commit.collection);
  if (!kind) return undefined;
  if (commit.operation === 'delete') return { kind, operation: 'delete', did, rkey: commit.rkey };
  // An update of a follow/listitem is not something clients do; treat it as a create of what it now says.
  if (kind === 'follow') {
    const record = FollowRecordSchema.safeParse(commit.record);
    return record.success ? { kind, operation: 'create', did, rkey: commit.rkey, subject: record.data.subject } : undefined;
  }
  const record = ListItemRecordSchema.safeParse(commit.record);
  return record.success ? { kind, operation: 'create', did, rkey: commit.rkey, subject: record.data.subject, list: record.data.list } : undefined;
}
