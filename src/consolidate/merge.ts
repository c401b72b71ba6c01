import type { ConsolidatedPost } from './post.ts';

const isFirehose = (copy: ConsolidatedPost) => copy.source.name === 'firehose';

/**
 * Two copies of one post (firehose and feed view, or two syncs) merged into one, keeping the best
 * of each: the record and cid of the copy synced last (an edit supersedes), the arrival time from
 * the firehose (the moment the post reached us, which feed views only approximate), counts and
 * handle from whichever copy has them, preferring the one synced last.
 */
/** Throws on two different posts: merging them is a programming error, not bad input. */
export function mergePosts(a: ConsolidatedPost, b: ConsolidatedPost): ConsolidatedPost {
  if (a.uri !== b.uri) throw new Error(`cannot merge different posts ${a.uri} and ${b.uri}`);
  const [older, newer] = a.source.syncedAt > b.source.syncedAt ? [b, a] : [a, b];
  const firehose = [a, b].find(isFirehose);
  const earliestIndexedAt = a.indexedAt < b.indexedAt ? a.indexedAt : b.indexedAt;
  const metrics = newer.metrics ?? older.metrics;
  const handle = newer.author.handle ?? older.author.handle;
  return {
    uri: newer.uri,
    cid: newer.cid,
    author: handle === undefined ? { did: newer.author.did } : { did: newer.author.did, handle },
    indexedAt: firehose?.indexedAt ?? earliestIndexedAt,
    record: newer.record,
    ...(metrics && { metrics }),
    source: newer.source,
  };
}
