import type { ConsolidatedPost } from '../consolidate/post.ts';

/** One image of a post, as the CDN addresses it: the author's repository and the image blob's CID. */
export interface ImageRef {
  did: string;
  cid: string;
}

const IMAGES = 'app.bsky.embed.images';
const RECORD_WITH_MEDIA = 'app.bsky.embed.recordWithMedia';
// CIDs are base32 (`bafk…`) or base58 (`Qm…`); DIDs are `did:<method>:<id>`. Anything else in a record
// is not an image the CDN could serve, and never goes into a URL.
const CID = /^[A-Za-z0-9]{8,128}$/;
const DID = /^did:[a-z]+:[A-Za-z0-9._:%-]{1,2000}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A blob's CID, in the current (`ref.$link`) or the legacy (`cid`) blob format. */
function blobCid(blob: unknown): string | undefined {
  if (!isObject(blob)) return undefined;
  const ref = blob.ref;
  const cid = isObject(ref) ? ref.$link : blob.cid;
  return typeof cid === 'string' && CID.test(cid) ? cid : undefined;
}

function imagesOf(embed: Record<string, unknown>): unknown[] {
  if (embed.$type === IMAGES && Array.isArray(embed.images)) return embed.images;
  if (embed.$type === RECORD_WITH_MEDIA && isObject(embed.media)) return imagesOf(embed.media);
  return [];
}

/**
 * The images a post shows, as Graze reads them: its `app.bsky.embed.images` embed, or the media of a
 * quote (`recordWithMedia`). Link-card thumbnails, videos and the quoted post's own images are not
 * the post's images. Duplicates (the same blob twice) count once.
 */
export function imageRefs(post: ConsolidatedPost): ImageRef[] {
  const embed = post.record.embed;
  const did = post.author.did;
  if (!embed || !DID.test(did)) return [];
  const cids = new Set(imagesOf(embed).flatMap((image) => (isObject(image) ? [blobCid(image.image)] : [])).filter((cid): cid is string => cid !== undefined));
  return [...cids].map((cid) => ({ did, cid }));
}
