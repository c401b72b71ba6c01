import { z } from 'zod';
import type { ConsolidatedPost } from '../consolidate/post.ts';
import type { OperatorDefinition } from '../core/operator.ts';
import { embedParts } from './entities.ts';

const EMBED_KINDS = ['image', 'image_group', 'video', 'link', 'post', 'gif'] as const;

/** Tenor and `.gif` links are how Bluesky clients embed GIFs. */
const isGif = (uri: unknown) => typeof uri === 'string' && (/^https?:\/\/media\.tenor\.com\//i.test(uri) || /\.gif(\?|$)/i.test(uri));

/** The kinds of embed a post carries; a quote with media is both `post` and its media kind. */
export function embedKinds(post: ConsolidatedPost): Set<string> {
  const kinds = new Set<string>();
  for (const { type, value } of embedParts(post)) {
    if (type === 'app.bsky.embed.images') kinds.add(((value.images as unknown[]) ?? []).length > 1 ? 'image_group' : 'image');
    else if (type === 'app.bsky.embed.video') kinds.add('video');
    else if (type === 'app.bsky.embed.record') kinds.add('post');
    else if (type === 'app.bsky.embed.external') kinds.add(isGif((value.external as { uri?: unknown } | undefined)?.uri) ? 'gif' : 'link');
  }
  return kinds;
}

/** `embed_type [==|!=, image|image_group|video|link|post|gif]`. */
export const embed_type: OperatorDefinition<['==' | '!=', (typeof EMBED_KINDS)[number]]> = {
  name: 'embed_type',
  args: z.tuple([z.enum(['==', '!=']), z.enum(EMBED_KINDS)]),
  cost: 1,
  compile([comparator, kind]) {
    return (post) => {
      const kinds = embedKinds(post);
      return { matched: kinds.has(kind) === (comparator === '=='), inputs: [...kinds] };
    };
  },
};
