import { AtUri } from '@atproto/syntax';
import { z } from 'zod';
import { POST_COLLECTION } from './jetstream.ts';
import { ConsolidatedPostSchema } from './post.ts';
import { describeIssues, type Consolidated } from './result.ts';

/** The parts of `app.bsky.feed.defs#postView` a consolidated post keeps; the rest is view state. */
const PostViewSchema = z.looseObject({
  uri: z.string(),
  cid: z.string().min(1),
  author: z.looseObject({ did: z.string(), handle: z.string().optional() }),
  record: z.unknown(),
  indexedAt: z.string(),
  likeCount: z.number().optional(),
  replyCount: z.number().optional(),
  repostCount: z.number().optional(),
  quoteCount: z.number().optional(),
});

/** `app.bsky.feed.defs#feedViewPost`: a post in a feed, maybe with reply context or repost reason. */
export const FeedViewPostSchema = z.looseObject({ post: PostViewSchema });

export type FeedViewPost = z.infer<typeof FeedViewPostSchema>;

function postUriProblem(uri: string, authorDid: string): string | undefined {
  let parsed: AtUri;
  try {
    parsed = new AtUri(uri);
  } catch (error) {
    return `post.uri: ${(error as Error).message}`;
  }
  if (parsed.collection !== POST_COLLECTION) return `post.uri: collection is ${parsed.collection}, not ${POST_COLLECTION}`;
  if (parsed.host !== authorDid) return `post.uri: repository ${parsed.host} is not the author ${authorDid}`;
  return undefined;
}

/**
 * One item of a feed (`getAuthorFeed`, `getFeed`, ...) to a post. `feedName` names the source
 * (`feed:<name>`); `syncedAt` is when the caller fetched the feed, passed in to keep this pure.
 */
export function consolidateFeedViewPost(input: unknown, feedName: string, syncedAt: string): Consolidated {
  const parsed = FeedViewPostSchema.safeParse(input);
  if (!parsed.success) return { kind: 'malformed', code: 'invalid-event', reason: `feed view post: ${describeIssues(parsed.error)}` };
  const view = parsed.data.post;
  const uriProblem = postUriProblem(view.uri, view.author.did);
  if (uriProblem) return { kind: 'malformed', code: 'invalid-event', reason: `feed view post ${view.uri}: ${uriProblem}` };

  const candidate = ConsolidatedPostSchema.safeParse({
    uri: view.uri,
    cid: view.cid,
    // Absent optional fields stay absent rather than becoming `undefined` keys.
    author: { did: view.author.did, ...(view.author.handle !== undefined && { handle: view.author.handle }) },
    indexedAt: view.indexedAt,
    record: view.record,
    metrics: {
      likes: view.likeCount ?? 0,
      replies: view.replyCount ?? 0,
      reposts: view.repostCount ?? 0,
      ...(view.quoteCount !== undefined && { quotes: view.quoteCount }),
    },
    source: { name: `feed:${feedName}`, syncedAt },
  });
  if (!candidate.success) return { kind: 'malformed', code: 'invalid-post', reason: `feed view post ${view.uri}: ${describeIssues(candidate.error)}` };
  return { kind: 'post', post: candidate.data };
}
