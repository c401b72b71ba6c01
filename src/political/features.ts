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

/** FNV-1a of the UTF-16 code units, from a seeded offset basis (one seed per feature family). */
export function fnv1a(text: string, seed: number): number {
  let hash = 0x811c9dc5 ^ seed;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Lower-cased words; a link becomes its domain, so outlets (breitbart.com, foxnews.com) are features. */
export function tokenize(text: string): string[] {
  const withDomains = text.toLowerCase().replace(URL_PATTERN, (_, domain: string) => ` url:${domain.replace(/\./g, '_')} `);
  return withDomains.match(TOKEN_PATTERN) ?? [];
}

export function featurize(text: string, bits: number): SparseVector {
  const mask = (1 << bits) - 1;
  const buckets = new Set<number>();
  const words = tokenize(text);
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    buckets.add(fnv1a(word, 1) & mask);
    if (i > 0) buckets.add(fnv1a(`${words[i - 1]} ${word}`, 2) & mask);
    const padded = `<${word}>`;
    for (let n = 3; n <= 5; n++) for (let start = 0; start + n <= padded.length; start++) buckets.add(fnv1a(padded.slice(start, start + n), 3) & mask);
  }
  const indices = Uint32Array.from(buckets).sort();
  const values = new Float32Array(indices.length).fill(indices.length ? 1 / Math.sqrt(indices.length) : 0);
  return { indices, values };
}
