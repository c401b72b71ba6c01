/** How a binary classifier did on held-out examples, predicting positive at `threshold` (default 0.5). */
export interface ClassificationMetrics {
  count: number;
  positives: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** Mean squared error of the probabilities (lower is better calibrated and sharper). */
  brier: number;
}

export function classificationMetrics(labels: readonly number[], probabilities: readonly number[], threshold = 0.5): ClassificationMetrics {
  let [tp, fp, fn, tn, brier] = [0, 0, 0, 0, 0];
  labels.forEach((y, i) => {
    const p = probabilities[i]!;
    const predicted = p >= threshold ? 1 : 0;
    if (predicted && y) tp++;
    else if (predicted) fp++;
    else if (y) fn++;
    else tn++;
    brier += (p - y) ** 2;
  });
  const count = labels.length;
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return {
    count,
    positives: tp + fn,
    accuracy: count ? (tp + tn) / count : 0,
    precision,
    recall,
    f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
    brier: count ? brier / count : 0,
  };
}
