import type { ConsolidatedPost } from '../../src/consolidate/post.ts';

export const IMAGE_AUTHOR = 'did:plc:imagetester0000000000000';
const AT = '2026-07-04T12:00:00.000Z';

/** A blob reference as a post record carries it. */
export const blob = (cid: string) => ({ $type: 'blob', ref: { $link: cid }, mimeType: 'image/jpeg', size: 12_345 });

/** The images embed of a post showing these blobs. */
export const imagesEmbed = (cids: readonly string[]) => ({ $type: 'app.bsky.embed.images', images: cids.map((cid) => ({ alt: '', image: blob(cid) })) });

type Embed = { $type: string } & Record<string, unknown>;

/** A consolidated post by IMAGE_AUTHOR with `embed` (an images embed when given CIDs). */
export function imagePost(rkey: string, embed: string[] | Embed | undefined, text = 'look at this'): ConsolidatedPost {
  const record = { text, createdAt: AT, ...(embed && { embed: Array.isArray(embed) ? imagesEmbed(embed) : embed }) };
  return { uri: `at://${IMAGE_AUTHOR}/app.bsky.feed.post/${rkey}`, cid: `bafyreipost${rkey}`, author: { did: IMAGE_AUTHOR }, indexedAt: AT, record, source: { name: 'firehose', syncedAt: AT } };
}

/** The same post as a Jetstream commit event, for replays. */
export function imagePostEvent(post: ConsolidatedPost, timeUs: number) {
  const rkey = post.uri.split('/').at(-1)!;
  return { did: post.author.did, time_us: timeUs, kind: 'commit', commit: { rev: `rev${timeUs}`, operation: 'create', collection: 'app.bsky.feed.post', rkey, record: { $type: 'app.bsky.feed.post', ...post.record }, cid: post.cid } };
}
