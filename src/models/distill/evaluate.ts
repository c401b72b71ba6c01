import { cosine } from '../embedders/embedder.ts';
import { seededRandom, shuffled } from '../random.ts';
import { denseVector, featurize, fnv1a, type SparseVector } from '../../political/features.ts';
import { dot, sigmoid } from '../../political/model.ts';
import { binaryMetrics, type BinaryMetrics } from '../../political/train/evaluate.ts';
import { DEFAULT_FIT_OPTIONS, fitLogistic } from '../../political/train/fit.ts';

/** Ranks from 1, ties sharing their mean rank. */
function ranks(values: readonly number[]): Float64Array {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const out = new Float64Array(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && values[order[end + 1]!] === values[order[start]!]) end++;
    for (let i = start; i <= end; i++) out[order[i]!] = (start + end) / 2 + 1;
    start = end + 1;
  }
  return out;
}

export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let [ma, mb] = [0, 0];
  for (let i = 0; i < n; i++) [ma, mb] = [ma + a[i]! / n, mb + b[i]! / n];
  let [sab, saa, sbb] = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const [da, db] = [a[i]! - ma, b[i]! - mb];
    [sab, saa, sbb] = [sab + da * db, saa + da * da, sbb + db * db];
  }
  return sab / Math.sqrt(saa * sbb);
}

export const spearman = (a: readonly number[], b: readonly number[]): number => pearson(ranks(a), ranks(b));

/** `count` distinct random pairs of different items among `n` (seeded). */
export function randomPairs(n: number, count: number, seed: number): [number, number][] {
  const random = seededRandom(seed);
  const seen = new Set<number>();
  const pairs: [number, number][] = [];
  while (pairs.length < count && seen.size < (n * (n - 1)) / 2) {
    const a = Math.floor(random() * n);
    const b = Math.floor(random() * n);
    if (a === b) continue;
    const key = Math.min(a, b) * n + Math.max(a, b);
    if (seen.has(key)) continue;
    seen.add(key);
    pairs.push([a, b]);
  }
  return pairs;
}

/** Spearman and Pearson between two embeddings' cosines over the same pairs (the student's against the teacher's). */
export function pairAgreement(student: readonly Float32Array[], teacher: readonly Float32Array[], pairs: readonly [number, number][]) {
  const s = pairs.map(([a, b]) => cosine(student[a]!, student[b]!));
  const t = pairs.map(([a, b]) => cosine(teacher[a]!, teacher[b]!));
  return { pairs: pairs.length, spearman: spearman(s, t), pearson: pearson(s, t) };
}

/**
 * A text as an order- and case-blind embedder reads it: its whitespace-separated words, lower-cased, in a random order
 * (seeded by the text and `seed`). The teacher's cosines between such copies of posts, against its cosines between the
 * posts, measure how much of its ordering rests on word order and case, which no static embedder sees.
 */
export function bagOfWordsCopy(text: string, seed: number): string {
  return shuffled(text.toLowerCase().split(/\s+/).filter(Boolean), seededRandom(fnv1a(text, seed))).join(' ');
}

/** How many of each query's `k` nearest neighbours by the teacher the student also ranks in its top `k` (mean over queries). */
export function neighbourRecall(student: readonly Float32Array[], teacher: readonly Float32Array[], queries: readonly number[], k: number): number {
  const top = (vectors: readonly Float32Array[], q: number) =>
    vectors
      .map((v, i) => ({ i, s: i === q ? -Infinity : cosine(vectors[q]!, v) }))
      .sort((a, b) => b.s - a.s)
      .slice(0, k)
      .map((e) => e.i);
  let found = 0;
  for (const q of queries) {
    const expected = new Set(top(teacher, q));
    found += top(student, q).filter((i) => expected.has(i)).length;
  }
  return found / (queries.length * k);
}

/** Cosine of two hashed n-gram vectors (word 1–2-grams and character 3–5-grams, the political model's features): the lexical baseline. */
export function ngramCosine(a: SparseVector, b: SparseVector): number {
  let [i, j, sum] = [0, 0, 0];
  while (i < a.indices.length && j < b.indices.length) {
    if (a.indices[i] === b.indices[j]) sum += a.values[i++]! * b.values[j++]!;
    else if (a.indices[i]! < b.indices[j]!) i++;
    else j++;
  }
  return sum;
}

export const NGRAM_BITS = 18;
export const ngramVector = (text: string) => featurize(text, NGRAM_BITS);

/** A logistic head on frozen embeddings: trained on one split, its held-out accuracy at 0.5. */
export function logisticHead(train: readonly { x: Float32Array; y: boolean }[], test: readonly { x: Float32Array; y: boolean }[]): BinaryMetrics {
  const model = fitLogistic(
    train.map((e) => denseVector(e.x)),
    train.map((e) => e.y),
    train[0]!.x.length,
    { ...DEFAULT_FIT_OPTIONS, learningRate: 0.1, epochs: 40 },
  );
  return binaryMetrics(
    test.map((e) => sigmoid(dot(model.weights, denseVector(e.x), model.bias))),
    test.map((e) => e.y),
    0.5,
  );
}
