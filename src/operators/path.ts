import { z } from 'zod';
import type { PostInput } from '../core/operator.ts';

/**
 * Paths address the post record as Graze writes them (`text`, `embed.external.uri`, `langs[0]`,
 * `facets.1.features.0.uri`, `facets[*].features[*].uri`, `embed.*`). The consolidated envelope is
 * reached by its top-level names: `uri`, `cid`, `indexedAt`, `author.did`, `author.handle`,
 * `metrics.likes`, `source.name`; `record.text` is the same as `text`.
 */
type Segment = string | number | '*';

const ENVELOPE = new Set(['uri', 'cid', 'indexedAt', 'author', 'metrics', 'source', 'record']);

function pathText(spec: PathSpec): string {
  return typeof spec === 'string' ? spec : spec.var;
}

/** Splits a path into keys, indexes and `*`; throws with the reason when it is not a path. */
export function parsePath(text: string): Segment[] {
  if (/^\$(\.|\[|$)/.test(text)) {
    const bare = text.replace(/^\$\.?/, '');
    throw new Error(`"${text}" is JSONPath: paths start at the post record without "$."${bare ? `, write "${bare}"` : ''}`);
  }
  const segments: Segment[] = [];
  for (const part of text.split('.')) {
    const match = /^([^[\]]*)((?:\[(?:\d+|\*)\])*)$/.exec(part);
    if (!match || (match[1] === '' && match[2] === '')) throw new Error(`invalid path "${text}": write keys with dots and indexes in brackets, e.g. "facets[0].features[*].uri"`);
    if (match[1]) segments.push(/^\d+$/.test(match[1]) ? Number(match[1]) : match[1]);
    for (const index of match[2]!.matchAll(/\[(\d+|\*)\]/g)) segments.push(index[1] === '*' ? '*' : Number(index[1]));
  }
  return segments;
}

export const PathSchema = z
  .union([z.string().min(1), z.strictObject({ var: z.string().min(1) })])
  .superRefine((spec, ctx) => {
    try {
      parsePath(pathText(spec));
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  })
  .meta({
    title: 'path',
    description:
      'Where in the post to look: a path into the post record ("text", "langs[0]", "embed.external.uri", "facets[*].features[*].uri", "embed.*"), or {"var": path}. `[*]` and `*` yield every element of a list or every value of an object; a path whose value is a list yields its elements. The envelope is reached as "author.did", "author.handle", "uri", "cid", "indexedAt", "metrics.likes", "source.name".',
  });
export type PathSpec = string | { var: string };

function step(value: unknown, segment: Segment): unknown[] {
  if (value === null || typeof value !== 'object') return [];
  if (segment === '*') return Array.isArray(value) ? value : Object.values(value);
  const next = typeof segment === 'number' && Array.isArray(value) ? value[segment] : (value as Record<string, unknown>)[segment];
  return next === undefined ? [] : [next];
}

/**
 * Compiles a path once into the values it reaches: one for a plain path, each element for `[*]`/`*` or
 * a list-valued end (so `langs` yields the languages, as `langs[*]` does), none when nothing is there.
 * Comparisons read "none" as one missing value (null). Leaves of any manifest that name the same path
 * share its values (the input's key), resolved once per post.
 */
export function compilePath(spec: PathSpec): PostInput<readonly unknown[]> {
  const text = pathText(spec);
  const segments = parsePath(text);
  const first = segments[0];
  const fromEnvelope = typeof first === 'string' && ENVELOPE.has(first);
  const key = `path:${text}`;
  if (segments.includes('*'))
    return {
      key,
      read(post) {
        let current: unknown[] = [fromEnvelope ? post : post.record];
        for (const segment of segments) current = current.flatMap((v) => step(v, segment));
        return current.flatMap((v) => (Array.isArray(v) ? v : [v]));
      },
    };
  // Most paths have no wildcard: walked without building a list per step.
  return {
    key,
    read(post) {
      let value: unknown = fromEnvelope ? post : post.record;
      for (const segment of segments) {
        if (value === null || typeof value !== 'object') return NOTHING;
        value = typeof segment === 'number' && Array.isArray(value) ? value[segment] : (value as Record<string, unknown>)[segment];
      }
      return value === undefined ? NOTHING : Array.isArray(value) ? value : [value];
    },
  };
}

const NOTHING: readonly unknown[] = Object.freeze([]);

/** How an explanation shows what a path yielded: the value itself when there is one, else the list. */
export function shown(values: readonly unknown[]): unknown {
  return values.length === 1 ? values[0] : values.length === 0 ? null : values;
}
