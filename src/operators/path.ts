import { z } from 'zod';
import type { ConsolidatedPost } from '../consolidate/post.ts';

/**
 * Paths address the post record as Graze writes them (`text`, `embed.external.uri`, `langs[0]`,
 * `facets.1.features.0.uri`, `facets[*].features[*].uri`). The consolidated envelope is reached by its
 * top-level names: `uri`, `cid`, `indexedAt`, `author.did`, `author.handle`, `metrics.likes`,
 * `source.name`; `record.text` is the same as `text`.
 */
export const PathSchema = z.union([z.string().min(1), z.object({ var: z.string().min(1) }).strict()]);
export type PathSpec = z.infer<typeof PathSchema>;

const ENVELOPE = new Set(['uri', 'cid', 'indexedAt', 'author', 'metrics', 'source', 'record']);

/** What a path yields: one value (null when missing), or every element under a `[*]`. */
export type Resolved = { many: false; value: unknown } | { many: true; values: unknown[] };

type Segment = string | number | '*';

export function parsePath(spec: PathSpec): Segment[] {
  const text = typeof spec === 'string' ? spec : spec.var;
  const segments: Segment[] = [];
  for (const part of text.split('.')) {
    const match = /^([^[\]]*)((?:\[(?:\d+|\*)\])*)$/.exec(part);
    if (!match || (match[1] === '' && match[2] === '')) throw new Error(`invalid path "${text}"`);
    if (match[1]) segments.push(/^\d+$/.test(match[1]) ? Number(match[1]) : match[1]);
    for (const index of match[2]!.matchAll(/\[(\d+|\*)\]/g)) segments.push(index[1] === '*' ? '*' : Number(index[1]));
  }
  return segments;
}

function step(value: unknown, segment: Segment): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  if (typeof segment === 'number') return Array.isArray(value) ? value[segment] : (value as Record<string, unknown>)[segment];
  return (value as Record<string, unknown>)[segment];
}

/** Compiles a path once into a resolver over consolidated posts. */
export function compilePath(spec: PathSpec): (post: ConsolidatedPost) => Resolved {
  const segments = parsePath(spec);
  const first = segments[0];
  const fromEnvelope = typeof first === 'string' && ENVELOPE.has(first);
  const many = segments.includes('*');
  return (post) => {
    let current: unknown[] = [fromEnvelope ? post : post.record];
    for (const segment of segments) {
      if (segment === '*') current = current.flatMap((v) => (Array.isArray(v) ? v : []));
      else current = current.map((v) => step(v, segment));
    }
    if (many) return { many: true, values: current.filter((v) => v !== undefined) };
    return { many: false, value: current[0] ?? null };
  };
}
