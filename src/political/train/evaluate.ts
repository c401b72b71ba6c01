import { classificationMetrics, type ClassificationMetrics } from '../../models/train/metrics.ts';
import { LEANS, type Lean } from '../model.ts';
import type { LabelledPost } from './data.ts';

/** Held-out sociopolitical-or-not numbers at one threshold: the shared classification metrics, the count named `n` as the reports print it. */
export type BinaryMetrics = Omit<ClassificationMetrics, 'count'> & { n: number };

export function binaryMetrics(probabilities: readonly number[], labels: readonly boolean[], threshold: number): BinaryMetrics {
  const { count, ...rest } = classificationMetrics(labels.map(Number), probabilities, threshold);
  return { n: count, ...rest };
}

export interface ReliabilityBin {
  range: string;
  count: number;
  meanPredicted: number;
  observed: number;
}

/** Predicted probability against the observed positive rate, in ten bins. */
export function reliabilityBins(probabilities: readonly number[], labels: readonly boolean[], bins = 10): ReliabilityBin[] {
  const mean = (values: number[]) => (values.length ? values.reduce((a, c) => a + c, 0) / values.length : 0);
  return Array.from({ length: bins }, (_, b) => {
    const inBin = probabilities.flatMap((p, i) => (Math.min(bins - 1, Math.floor(p * bins)) === b ? [i] : []));
    return {
      range: `${(b / bins).toFixed(1)}–${((b + 1) / bins).toFixed(1)}`,
      count: inBin.length,
      meanPredicted: mean(inBin.map((i) => probabilities[i]!)),
      observed: mean(inBin.map((i) => (labels[i] ? 1 : 0))),
    };
  });
}

/** Expected calibration error over the same ten bins: the count-weighted gap between predicted and observed. */
export function calibrationError(bins: readonly ReliabilityBin[]): number {
  const total = bins.reduce((n, b) => n + b.count, 0);
  return bins.reduce((sum, b) => sum + (b.count / Math.max(1, total)) * Math.abs(b.meanPredicted - b.observed), 0);
}

/** Area under the ROC curve (ties count half): how well the scores rank, independent of any threshold. */
export function rocAuc(probabilities: readonly number[], labels: readonly boolean[]): number {
  const order = probabilities.map((p, i) => ({ p, y: labels[i]! })).sort((a, b) => a.p - b.p);
  let rankSum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && order[j]!.p === order[i]!.p) j++;
    const rank = (i + j + 1) / 2;
    for (let k = i; k < j; k++) if (order[k]!.y) rankSum += rank;
    i = j;
  }
  const positives = labels.filter(Boolean).length;
  const negatives = labels.length - positives;
  return positives && negatives ? (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives) : 0;
}

/**
 * The decision threshold, chosen on validation data: the most accurate one among those whose recall reaches
 * `minRecall` (else the most accurate overall). Candidates are 0.05 … 0.95 in steps of 0.01.
 */
export function chooseThreshold(probabilities: readonly number[], labels: readonly boolean[], minRecall: number): number {
  const candidates = Array.from({ length: 91 }, (_, i) => Math.round((0.05 + i * 0.01) * 100) / 100).map((t) => ({ t, ...binaryMetrics(probabilities, labels, t) }));
  const reaching = candidates.filter((c) => c.recall >= minRecall);
  const pool = reaching.length ? reaching : candidates;
  return pool.reduce((best, c) => (c.accuracy > best.accuracy ? c : best)).t;
}

export interface LeanMetrics {
  n: number;
  accuracy: number;
  macroF1: number;
  perClass: Record<Lean, { n: number; f1: number }>;
  /** Always answering the most frequent lean of the training rows. */
  baseline: { lean: Lean; accuracy: number; macroF1: number };
}

function leanScores(predicted: readonly Lean[], truth: readonly Lean[]) {
  const perClass = Object.fromEntries(
    LEANS.map((lean) => {
      const tp = predicted.filter((p, i) => p === lean && truth[i] === lean).length;
      const fp = predicted.filter((p, i) => p === lean && truth[i] !== lean).length;
      const fn = predicted.filter((p, i) => p !== lean && truth[i] === lean).length;
      return [lean, { n: tp + fn, f1: tp ? (2 * tp) / (2 * tp + fp + fn) : 0 }];
    }),
  ) as Record<Lean, { n: number; f1: number }>;
  // Macro-F1 over the classes present in the truth or the predictions (an absent class would add a meaningless 0 or 1).
  const present = LEANS.filter((l) => perClass[l].n > 0 || predicted.includes(l));
  return {
    accuracy: predicted.filter((p, i) => p === truth[i]).length / Math.max(1, truth.length),
    macroF1: present.reduce((sum, l) => sum + perClass[l].f1, 0) / Math.max(1, present.length),
    perClass,
  };
}

/** Lean on held-out sociopolitical posts against always answering `majority`. */
export function leanMetrics(predicted: readonly Lean[], truth: readonly Lean[], majority: Lean): LeanMetrics {
  const baseline = leanScores(
    truth.map(() => majority),
    truth,
  );
  return { n: truth.length, ...leanScores(predicted, truth), baseline: { lean: majority, accuracy: baseline.accuracy, macroF1: baseline.macroF1 } };
}

/** The most frequent lean among labelled sociopolitical posts. */
export function majorityLean(posts: readonly LabelledPost[]): Lean {
  const counts = LEANS.map((lean) => posts.filter((p) => p.lean === lean).length);
  return LEANS[counts.indexOf(Math.max(...counts))]!;
}

/** Word-count buckets of the held-out tables: short posts are where the old model failed. */
export const LENGTH_BUCKETS = [
  { name: '≤ 5 words', max: 5 },
  { name: '6–15 words', max: 15 },
  { name: '16–30 words', max: 30 },
  { name: '> 30 words', max: Infinity },
] as const;

export const wordCount = (text: string): number => text.split(/\s+/).filter(Boolean).length;

/** Named subsets of the held-out posts: every post, by length, replies/quotes whose parent is known vs the rest, by source. */
export function slices(posts: readonly LabelledPost[], sourceOf: (post: LabelledPost) => string): { name: string; indices: number[] }[] {
  const where = (test: (post: LabelledPost) => boolean) => posts.flatMap((p, i) => (test(p) ? [i] : []));
  const sources = [...new Set(posts.map(sourceOf))].sort();
  return [
    { name: 'all', indices: where(() => true) },
    ...LENGTH_BUCKETS.map((bucket, b) => ({
      name: bucket.name,
      indices: where((p) => {
        const words = wordCount(p.text);
        return words <= bucket.max && (b === 0 || words > LENGTH_BUCKETS[b - 1]!.max);
      }),
    })),
    { name: 'replies/quotes (parent known)', indices: where((p) => p.context !== undefined) },
    { name: 'other posts', indices: where((p) => p.context === undefined) },
    ...sources.map((source) => ({ name: `source ${source}`, indices: where((p) => sourceOf(p) === source) })),
  ];
}

/** The held-out table: each slice's metrics at `threshold`. */
export function sliceTable(posts: readonly LabelledPost[], probabilities: readonly number[], threshold: number, sourceOf: (post: LabelledPost) => string) {
  return slices(posts, sourceOf).map(({ name, indices }) => ({
    slice: name,
    ...binaryMetrics(
      indices.map((i) => probabilities[i]!),
      indices.map((i) => posts[i]!.sociopolitical),
      threshold,
    ),
  }));
}
