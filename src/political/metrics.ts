import { classificationMetrics } from '../models/train/metrics.ts';

/** Held-out metrics printed by training and written into the model card. */
export interface BinaryMetrics {
  n: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
}

/** The shared held-out metrics, under the field names of `metrics.json` and the model card. */
export function binaryMetrics(probabilities: readonly number[], labels: readonly boolean[], threshold = 0.5): BinaryMetrics {
  const { count, accuracy, precision, recall, f1 } = classificationMetrics(labels.map(Number), probabilities, threshold);
  return { n: count, accuracy, precision, recall, f1 };
}

export interface ReliabilityBin {
  range: string;
  count: number;
  meanPredicted: number;
  observed: number;
}

export function reliabilityBins(probabilities: readonly number[], labels: readonly boolean[], bins = 10): ReliabilityBin[] {
  return Array.from({ length: bins }, (_, b) => {
    const inBin = probabilities.flatMap((p, i) => (Math.min(bins - 1, Math.floor(p * bins)) === b ? [i] : []));
    const mean = (values: number[]) => (values.length ? values.reduce((a, c) => a + c, 0) / values.length : 0);
    return {
      range: `${(b / bins).toFixed(1)}–${((b + 1) / bins).toFixed(1)}`,
      count: inBin.length,
      meanPredicted: mean(inBin.map((i) => probabilities[i]!)),
      observed: mean(inBin.map((i) => (labels[i] ? 1 : 0))),
    };
  });
}

export function multiclassMetrics(predicted: readonly number[], truth: readonly number[], classes: number): { accuracy: number; macroF1: number } {
  const f1s = Array.from({ length: classes }, (_, c) => {
    const tp = predicted.filter((p, i) => p === c && truth[i] === c).length;
    const fp = predicted.filter((p, i) => p === c && truth[i] !== c).length;
    const fn = predicted.filter((p, i) => p !== c && truth[i] === c).length;
    return tp ? (2 * tp) / (2 * tp + fp + fn) : 0;
  });
  return { accuracy: predicted.filter((p, i) => p === truth[i]).length / Math.max(1, truth.length), macroF1: f1s.reduce((a, b) => a + b, 0) / classes };
}
