import type { ConsolidatedPost } from '../consolidate/post.ts';

export const ENTITY_KINDS = ['hashtags', 'langs', 'urls', 'domains', 'mentions', 'labels'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

type Feature = { $type?: string; tag?: unknown; uri?: unknown; did?: unknown };

const features = (post: ConsolidatedPost): Feature[] => (post.record.facets ?? []).flatMap((f) => f.features as Feature[]);

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

function urls(post: ConsolidatedPost): string[] {
  const fromFacets = features(post)
    .filter((f) => f.$type === 'app.bsky.richtext.facet#link' && typeof f.uri === 'string')
    .map((f) => f.uri as string);
  const fromEmbed = embedParts(post)
    .filter((p) => p.type === 'app.bsky.embed.external')
    .map((p) => (p.value.external as { uri?: unknown } | undefined)?.uri)
    .filter((u): u is string => typeof u === 'string');
  return [...fromFacets, ...fromEmbed];
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
      return [
        ...features(post)
          .filter((f) => f.$type === 'app.bsky.richtext.facet#tag' && typeof f.tag === 'string')
          .map((f) => f.tag as string),
        ...(post.record.tags ?? []),
      ].map((t) => t.replace(/^#/, '').toLowerCase());
    case 'langs':
      return (post.record.langs ?? []).map((l) => l.toLowerCase());
    case 'urls':
      return urls(post).map((u) => u.toLowerCase());
    case 'domains':
      return urls(post).map(normalizeDomain);
    case 'mentions':
      return features(post)
        .filter((f) => f.$type === 'app.bsky.richtext.facet#mention' && typeof f.did === 'string')
        .map((f) => (f.did as string).toLowerCase());
    case 'labels':
      return (post.record.labels?.values ?? []).map((l) => l.val.toLowerCase());
  }
}

/** Normalises an operator's value the way `entitiesOf` normalises the post's. */
export function normalizeEntity(kind: EntityKind, value: string): string {
  if (kind === 'domains') return normalizeDomain(value);
  if (kind === 'hashtags') return value.replaceAll('#', '').toLowerCase();
  return value.toLowerCase();
}
