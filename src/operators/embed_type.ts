import { z } from 'zod';
import type { ConsolidatedPost } from '../consolidate/post.ts';
import type { OperatorDefinition } from '../core/operator.ts';

const EMBED_KINDS = ['image', 'image_group', 'video', 'link', 'post', 'gif'] as const;
type EmbedKind = (typeof EMBED_KINDS)[number];

/** The host of a URL as Graze's get_url_domain reads it: lower-cased, without `www.`. */
function host(uri: unknown): string {
  if (typeof uri !== 'string') return '';
  try {
    return new URL(uri).host.toLowerCase().replace(/^www\./, '');
  } catch {
    return '';
  }
}

/** The links Graze looks at for GIFs (helpers.get_all_links): the link card's URI and every link facet. */
function links(post: ConsolidatedPost): unknown[] {
  const embed = post.record.embed as { external?: { uri?: unknown } } | undefined;
  const facetLinks = (post.record.facets ?? []).flatMap((f) => f.features.filter((x) => x.$type === 'app.bsky.richtext.facet#link').map((x) => x.uri));
  return [embed?.external?.uri, ...facetLinks];
}

/** GIFs from Bluesky's GIF picker are Tenor links: `https://media.tenor.com/…`. */
const isGif = (post: ConsolidatedPost) => links(post).some((uri) => typeof uri === 'string' && /tenor\.com/i.test(uri) && host(uri) === 'media.tenor.com');

/**
 * The kinds of embed a post has, as Graze's embed_type decides each one (app/algos/operators/attribute.py):
 * `image` an images embed (one image or more), `image_group` a quote with images, `video` a video or a
 * quote with a video, `post` a quote without media, `link` a link card that is not a GIF, `gif` a Tenor link.
 */
function embedKinds(post: ConsolidatedPost): EmbedKind[] {
  const embed = post.record.embed as { $type?: unknown; media?: { $type?: unknown } } | undefined;
  const type = embed?.$type;
  const media = embed?.media?.$type;
  const gif = isGif(post);
  const kinds: [EmbedKind, boolean][] = [
    ['image', type === 'app.bsky.embed.images'],
    ['image_group', Boolean(type) && media === 'app.bsky.embed.images'],
    ['video', type === 'app.bsky.embed.video' || media === 'app.bsky.embed.video'],
    ['post', type === 'app.bsky.embed.record'],
    ['link', type === 'app.bsky.embed.external' && !gif],
    ['gif', gif],
  ];
  return kinds.filter(([, has]) => has).map(([kind]) => kind);
}

const Args = z.tuple([
  z
    .enum(['==', '!='], { error: (issue) => `unknown comparator ${JSON.stringify(issue.input)}: embed_type takes == or !=` })
    .meta({ title: 'comparator', description: '== (the post has this kind of embed) or != (it has not).' }),
  z
    .enum(EMBED_KINDS, { error: (issue) => `unknown embed kind ${JSON.stringify(issue.input)}: use one of ${EMBED_KINDS.join(', ')}` })
    .meta({ title: 'kind', description: 'image, image_group (a quote with images), video, link, post (a quote) or gif (a Tenor link).' }),
]);

/** `embed_type [==|!=, image|image_group|video|link|post|gif]`. */
export const embed_type: OperatorDefinition<z.infer<typeof Args>> = {
  name: 'embed_type',
  description:
    "The kind of embed, with Graze's meanings: `image` is an images embed with one image or more; `image_group` is a quote post with images attached; `video` is a video, or a quote with a video; `post` is a quote with nothing attached; `link` is a link card that is not a GIF; `gif` is a post linking to media.tenor.com (what Bluesky's GIF picker posts), in its link card or in a link in the text. Other `.gif` URLs are links. A quote with a link card is none of these kinds, as in Graze.",
  examples: [
    { args: ['==', 'image'], means: 'the post has one or more images' },
    { args: ['!=', 'gif'], means: 'the post links to no Tenor GIF' },
  ],
  graze: 'Same meanings. Graze\'s `!= link` means "neither a link nor a GIF"; skysift\'s `!=` is always the opposite of `==`.',
  args: Args,
  cost: 1,
  compile([comparator, kind]) {
    return (post) => {
      const kinds = embedKinds(post);
      return { matched: kinds.includes(kind) === (comparator === '=='), inputs: { kinds } };
    };
  },
};
