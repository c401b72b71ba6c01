import { z } from 'zod';
import { inPlace } from './in-place.ts';
import { isoTimeOfMs } from './iso-time.ts';
import { PostRecordSchema, type ConsolidatedPost } from './post.ts';
import { PROFILE_COLLECTION, profileDocument, ProfileRecordSchema } from './profile.ts';
import { describeIssues, type Consolidated } from './result.ts';

/** Jetstream's JSON events, as its server sends them. Records stay opaque until a collection needs them. */
const CommitSchema = z.discriminatedUnion('operation', [
  z.object({ operation: z.enum(['create', 'update']), collection: z.string(), rkey: z.string(), rev: z.string().optional(), cid: z.string(), record: z.looseObject({}) }),
  z.object({ operation: z.literal('delete'), collection: z.string(), rkey: z.string(), rev: z.string().optional() }),
]);

export const JetstreamEventSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('commit'), did: z.string().startsWith('did:'), time_us: z.number().int(), commit: CommitSchema }),
  z.object({ kind: z.literal('identity'), did: z.string().startsWith('did:'), time_us: z.number().int(), identity: z.looseObject({ did: z.string(), handle: z.string().optional() }) }),
  z.object({
    kind: z.literal('account'),
    did: z.string().startsWith('did:'),
    time_us: z.number().int(),
    account: z.looseObject({ did: z.string(), active: z.boolean(), status: z.string().optional() }),
  }),
]);
export type JetstreamEvent = z.infer<typeof JetstreamEventSchema>;

export const POST_COLLECTION = 'app.bsky.feed.post';

const parseEvent = inPlace(JetstreamEventSchema);
const parsePostRecord = inPlace(PostRecordSchema);

export function postUri(did: string, rkey: string): string {
  return `at://${did}/${POST_COLLECTION}/${rkey}`;
}

/** Turns one Jetstream event into a post, a post deletion, an author update, or nothing; never throws on bad input. */
export function consolidateJetstreamEvent(input: unknown): Consolidated {
  const event = parseEvent(input);
  if (!event.success) return { kind: 'malformed', code: 'invalid-event', reason: `invalid event: ${describeIssues(event.error)}` };
  return consolidateValidEvent(event.data);
}

/**
 * The same for an event already validated (the stream's frame reader validated it): each event is
 * validated once. Only the post record is left to check; the rest of the post is built from fields the
 * event schema checked, in the shape `ConsolidatedPostSchema` gives.
 */
export function consolidateValidEvent(data: JetstreamEvent): Consolidated {
  if (data.kind === 'identity') return { kind: 'identity', did: data.did, ...(data.identity.handle !== undefined && { handle: data.identity.handle }), timeUs: data.time_us };
  if (data.kind === 'account') return { kind: 'account', did: data.did, active: data.account.active, ...(data.account.status !== undefined && { status: data.account.status }), timeUs: data.time_us };
  if (data.commit.collection === PROFILE_COLLECTION) return consolidateProfileCommit(data);
  if (data.commit.collection !== POST_COLLECTION) return { kind: 'ignored' };
  const uri = postUri(data.did, data.commit.rkey);
  if (data.commit.operation === 'delete') return { kind: 'post-delete', uri };
  const record = parsePostRecord(data.commit.record);
  if (!record.success) return { kind: 'malformed', code: 'invalid-post', reason: `invalid post record: ${describeIssues(record.error, 'record')}` };
  const at = isoTimeOfMs(Math.floor(data.time_us / 1000));
  const post: ConsolidatedPost = { uri, cid: data.commit.cid, author: { did: data.did }, indexedAt: at, record: record.data, source: { name: 'firehose', syncedAt: at } };
  return { kind: 'post', post };
}

/** A profile commit: only `self` is the profile (other rkeys are not read by the app); a delete is an empty profile. */
function consolidateProfileCommit(data: Extract<JetstreamEvent, { kind: 'commit' }>): Consolidated {
  if (data.commit.rkey !== 'self') return { kind: 'ignored' };
  const at = isoTimeOfMs(Math.floor(data.time_us / 1000));
  if (data.commit.operation === 'delete') return { kind: 'profile', profile: profileDocument(data.did, '', {}, at) };
  const record = ProfileRecordSchema.safeParse(data.commit.record);
  if (!record.success) return { kind: 'malformed', code: 'invalid-profile', reason: `invalid profile record: ${describeIssues(record.error, 'record')}` };
  return { kind: 'profile', profile: profileDocument(data.did, data.commit.cid, record.data, at) };
}
