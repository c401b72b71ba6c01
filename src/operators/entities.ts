import type { ConsolidatedPost } from '../consolidate/post.ts';
import type { PostInput } from '../core/operator.ts';

export const ENTITY_KINDS = ['hashtags', 'langs', 'urls', 'domains', 'mentions', 'labels'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

type Feature = { $type?: string; tag?: unknown; uri?: unknown; did?: unknown };

/** The `field` of the post's facet features of one type, in order. Read for every post: plain loops, no intermediate lists. */
function featureValues(post: ConsolidatedPost, type: string, field: 'uri' | 'tag' | 'did'): string[] {
  const values: string[] = [];
  for (const facet of post.record.facets ?? []) {
    for (const feature of facet.features as Feature[]) {
      const value = feature[field];
      if (feature.$type === type && typeof value === 'string') values.push(value);
    }
  }
  return values;
}

/** The media part of an embed, seeing through `recordWithMedia`. */
export function embedParts(post: ConsolidatedPost): { type: string; value: Record<string, unknown> }[] {
  const embed = post.record.embed as Record<string, unknown> | undefined;
  if (!embed) return [];
  const type = String(embed.$type ?? '');
  if (type === 'app.bsky.embed.recordWithMedia') {
    const media = embed.media as Record<string, unknown> | undefined;
    return [{ type: 'app.bsky.embed.record', value: embed }, ...(media ? [{ type: String(media.$type ?? ''), value: media }] : [])];
  }
  return [{ type, value: embed }];
}

/** Link facets, then the link card (also a quote's). */
function urls(post: ConsolidatedPost): string[] {
  const found = featureValues(post, 'app.bsky.richtext.facet#link', 'uri');
  if (!post.record.embed) return found;
  for (const part of embedParts(post)) {
    const uri = part.type === 'app.bsky.embed.external' ? (part.value.external as { uri?: unknown } | undefined)?.uri : undefined;
    if (typeof uri === 'string') found.push(uri);
  }
  return found;
}

/** `https://www.Example.com/` and `example.com` are the same domain. */
export function normalizeDomain(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, '')
    .replace(/^www\./, '')
    .replace(/[/?#].*$/, '')
    .replace(/\/+$/, '');
}

/** The post's entities of one kind, lower-cased so that matching is case-insensitive on both sides. */
export function entitiesOf(post: ConsolidatedPost, kind: EntityKind): string[] {
  switch (kind) {
    case 'hashtags':
      return [...featureValues(post, 'app.bsky.richtext.facet#tag', 'tag'), ...(post.record.tags ?? [])].map((t) => t.replace(/^#/, '').toLowerCase());
    case 'langs':
      return (post.record.langs ?? []).map((l) => l.toLowerCase());
    case 'urls':
      return urls(post).map((u) => u.toLowerCase());
    case 'domains':
      return urls(post).map(normalizeDomain);
    case 'mentions':
      return featureValues(post, 'app.bsky.richtext.facet#mention', 'did').map((did) => did.toLowerCase());
    case 'labels':
      return (post.record.labels?.values ?? []).map((l) => l.val.toLowerCase());
  }
}

/** The post's entities of one kind as a leaf input: found once per post for every leaf that looks at them. */
export const entityInputs: ReadonlyMap<EntityKind, PostInput<string[]>> = new Map(ENTITY_KINDS.map((kind) => [kind, { key: `entities:${kind}`, read: (post) => entitiesOf(post, kind) }]));

/** Normalises an operator's value the way `entitiesOf` normalises the post's. */
export function normalizeEntity(kind: EntityKind, value: string): string {
  if (kind === 'domains') return normalizeDomain(value);
  if (kind === 'hashtags') return value.replaceAll('#', '').toLowerCase();
  return value.toLowerCase();
}
