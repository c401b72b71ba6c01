/**
 * Text → sparse hashed feature vector: word unigrams and bigrams plus character 3–5-grams inside
 * words, hashed (FNV-1a) into `2^bits` buckets, binary then L2-normalised. Pure and allocation-light,
 * because it runs once per post in the hot path.
 */
export interface SparseVector {
  indices: Uint32Array;
  values: Float32Array;
}

const URL_PATTERN = /https?:\/\/(?:www\.)?([^/\s]+)\S*/gu;
const TOKEN_PATTERN = /[\p{L}\p{N}#@'_]+/gu;

const FNV_PRIME = 0x01000193;

/** FNV-1a of the UTF-16 code units, from a seeded offset basis (one seed per feature family). */
export function fnv1a(text: string, seed: number): number {
  return fnvExtend(0x811c9dc5 ^ seed, text, 0, text.length) >>> 0;
}

/** Continues an FNV-1a hash over `text[start, end)`: hashing "a b" equals extending hash("a") by " " and "b", with no new string. */
function fnvExtend(hash: number, text: string, start: number, end: number): number {
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME);
  return hash;
}

/** Lower-cased words; a link becomes its domain, so outlets (breitbart.com, foxnews.com) are features. */
export function tokenize(text: string): string[] {
  const withDomains = text.toLowerCase().replace(URL_PATTERN, (_, domain: string) => ` url:${domain.replace(/\./g, '_')} `);
  return withDomains.match(TOKEN_PATTERN) ?? [];
}

/** Feature families are told apart by their hash seed: the post's own words, and the words of what it answers. */
const POST_SEEDS = [1, 2, 3] as const;
const CONTEXT_SEEDS = [11, 12, 13] as const;

/** Word unigrams, bigrams and character 3–5-grams inside `<word>`, hashed in place (the hot path allocates no n-gram strings). */
function addNgrams(buckets: Buckets, text: string, mask: number, [word, bigram, char]: readonly [number, number, number]) {
  const words = tokenize(text);
  for (let i = 0; i < words.length; i++) {
    const current = words[i]!;
    buckets.add(fnv1a(current, word) & mask);
    if (i > 0) {
      const previous = words[i - 1]!;
      buckets.add(fnvExtend(fnvExtend(fnvExtend(0x811c9dc5 ^ bigram, previous, 0, previous.length), ' ', 0, 1), current, 0, current.length) & mask);
    }
    const padded = `<${current}>`;
    // Each start position extends one hash through lengths 3, 4 and 5.
    for (let start = 0; start + 3 <= padded.length; start++) {
      let hash = fnvExtend(0x811c9dc5 ^ char, padded, start, start + 2);
      for (let end = start + 3; end <= Math.min(start + 5, padded.length); end++) {
        hash = fnvExtend(hash, padded, end - 1, end);
        buckets.add((hash >>> 0) & mask);
      }
    }
  }
}

/**
 * The buckets a text hits, duplicates included, in a scratch array reused from post to post: sorting and
 * dropping repeats once at the end costs a fraction of adding each bucket to a Set (the inference runs
 * synchronously, so one scratch array serves every call of a thread).
 */
class Buckets {
  ids = new Uint32Array(1024);
  size = 0;

  add(id: number) {
    if (this.size === this.ids.length) {
      const grown = new Uint32Array(this.ids.length * 2);
      grown.set(this.ids);
      this.ids = grown;
    }
    this.ids[this.size++] = id;
  }

  /** The distinct buckets, ascending; empties the scratch for the next text. */
  distinct(): Uint32Array {
    const sorted = this.ids.subarray(0, this.size).sort();
    let unique = 0;
    for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[unique++] = sorted[i]!;
    this.size = 0;
    return sorted.slice(0, unique);
  }
}

const scratch = new Buckets();

/** Binary, L2-normalised over the given buckets, sorted by index. */
function normalisedVector(buckets: Buckets, scale = 1): SparseVector {
  const indices = buckets.distinct();
  const values = new Float32Array(indices.length).fill(indices.length ? scale / Math.sqrt(indices.length) : 0);
  return { indices, values };
}

/** The post's own hashed n-grams, a vector of length `scale`. */
export function featurize(text: string, bits: number, scale = 1): SparseVector {
  addNgrams(scratch, text, (1 << bits) - 1, POST_SEEDS);
  return normalisedVector(scratch, scale);
}

/** The n-grams of the text a post answers (parent or quoted post), in their own hash family so they get their own weights. */
export function featurizeContext(context: string, bits: number, scale = 1): SparseVector {
  addNgrams(scratch, context, (1 << bits) - 1, CONTEXT_SEEDS);
  return normalisedVector(scratch, scale);
}

/** Concatenates vectors laid end to end: each part's indices are shifted by the sizes of the parts before it. */
export function concatenate(parts: readonly { x: SparseVector; size: number }[]): SparseVector {
  const length = parts.reduce((n, p) => n + p.x.indices.length, 0);
  const indices = new Uint32Array(length);
  const values = new Float32Array(length);
  let at = 0;
  let offset = 0;
  for (const { x, size } of parts) {
    for (let i = 0; i < x.indices.length; i++, at++) {
      indices[at] = x.indices[i]! + offset;
      values[at] = x.values[i]!;
    }
    offset += size;
  }
  return { indices, values };
}

/** A dense embedding as a sparse vector with every dimension present. */
export function denseVector(values: Float32Array): SparseVector {
  return { indices: Uint32Array.from(values, (_, i) => i), values };
}
