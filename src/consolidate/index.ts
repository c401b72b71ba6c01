/** Consolidation: every source (Jetstream events, feed views) becomes one `ConsolidatedPost`. Pure. */
export { consolidateFeedViewPost, FeedViewPostSchema, type FeedViewPost } from './feed.ts';
export { consolidateJetstreamEvent, consolidateValidEvent, JetstreamEventSchema, POST_COLLECTION, postUri, type JetstreamEvent } from './jetstream.ts';
export { mergePosts } from './merge.ts';
export { ConsolidatedPostSchema, type ConsolidatedPost, type PostRecord } from './post.ts';
export type { Consolidated } from './result.ts';
export { PROFILE_COLLECTION, profileDocument, ProfileRecordSchema, type ConsolidatedProfile, type ProfileRecord } from './profile.ts';
