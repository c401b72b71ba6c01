import { z } from 'zod';
import type { ConsolidatedPost } from '../consolidate/post.ts';
import { leaf, type OperatorDefinition, type PostInput } from '../core/operator.ts';

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

const isTenor = (uri: unknown) => typeof uri === 'string' && /tenor\.com/i.test(uri) && host(uri) === 'media.tenor.com';

/**
 * GIFs from Bluesky's GIF picker are Tenor links (`https://media.tenor.com/…`), in the links Graze
 * looks at (helpers.get_all_links): the link card's URI and every link facet.
 */
function isGif(post: ConsolidatedPost): boolean {
  if (isTenor((post.record.embed as { external?: { uri?: unknown } } | undefined)?.external?.uri)) return true;
  for (const facet of post.record.facets ?? []) for (const feature of facet.features) if (feature.$type === 'app.bsky.richtext.facet#link' && isTenor(feature.uri)) return true;
  return false;
}

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
  const kinds: EmbedKind[] = [];
  if (type === 'app.bsky.embed.images') kinds.push('image');
  if (type && media === 'app.bsky.embed.images') kinds.push('image_group');
  if (type === 'app.bsky.embed.video' || media === 'app.bsky.embed.video') kinds.push('video');
  if (type === 'app.bsky.embed.record') kinds.push('post');
  if (type === 'app.bsky.embed.external' && !gif) kinds.push('link');
  if (gif) kinds.push('gif');
  return kinds;
}

/** The embed kinds as a leaf input: found once per post for every embed_type leaf. */
const EMBED_KINDS_INPUT: PostInput<EmbedKind[]> = { key: 'embed-kinds', read: embedKinds };

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
  pure: true,
  compile([comparator, kind]) {
    const decide = (kinds: readonly EmbedKind[]) => kinds.includes(kind) === (comparator === '==');
    return leaf(
      (post) => {
        const kinds = embedKinds(post);
        return { matched: decide(kinds), inputs: { kinds } };
      },
      { input: EMBED_KINDS_INPUT, decide },
    );
  },
};
