import { z } from 'zod';

/** A strong reference to a record, as ATProto writes it; loose so a `$type` the record carries survives. */
export const StrongRefSchema = z.looseObject({ uri: z.string(), cid: z.string() });

/**
 * The post record as its author published it (`app.bsky.feed.post`). Known fields are checked;
 * anything else the record carries is kept, since manifests may address any path in it.
 */
export const PostRecordSchema = z.looseObject({
  text: z.string(),
  createdAt: z.string(),
  langs: z.array(z.string()).optional(),
  facets: z.array(z.looseObject({ index: z.unknown(), features: z.array(z.looseObject({ $type: z.string() })) })).optional(),
  embed: z.looseObject({ $type: z.string() }).optional(),
  reply: z.looseObject({ root: StrongRefSchema, parent: StrongRefSchema }).optional(),
  labels: z.looseObject({ values: z.array(z.looseObject({ val: z.string() })) }).optional(),
  tags: z.array(z.string()).optional(),
});

export const PostMetricsSchema = z.object({
  likes: z.number().int().nonnegative(),
  replies: z.number().int().nonnegative(),
  reposts: z.number().int().nonnegative(),
  quotes: z.number().int().nonnegative().optional(),
});

/** Where a copy of the post came from: `firehose` or `feed:<name>`, and when we saw it. */
export const PostSourceSchema = z.object({
  name: z.union([z.literal('firehose'), z.string().regex(/^feed:.+$/)]),
  syncedAt: z.string(),
});

/** The one shape every source is consolidated into, and the input of evaluation. */
export const ConsolidatedPostSchema = z.object({
  uri: z.string().startsWith('at://'),
  cid: z.string(),
  author: z.object({ did: z.string().startsWith('did:'), handle: z.string().optional() }),
  indexedAt: z.string(),
  record: PostRecordSchema,
  metrics: PostMetricsSchema.optional(),
  source: PostSourceSchema,
});

export type StrongRef = z.infer<typeof StrongRefSchema>;
export type PostRecord = z.infer<typeof PostRecordSchema>;
export type PostMetrics = z.infer<typeof PostMetricsSchema>;
export type ConsolidatedPost = z.infer<typeof ConsolidatedPostSchema>;
