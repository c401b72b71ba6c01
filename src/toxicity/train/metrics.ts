import { seededRandom } from '../../models/random.ts';

/** The area under the precision–recall curve as a step sum (precision at each positive, ranked by score): with few positives, the fairer single number. */
export function averagePrecision(scores: readonly number[], labels: readonly boolean[]): number {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const positives = labels.filter(Boolean).length;
  let hits = 0;
  let sum = 0;
  order.forEach((i, rank) => {
    if (labels[i]) sum += ++hits / (rank + 1);
  });
  return positives ? sum / positives : 0;
}

/** A 95% percentile bootstrap interval of a statistic over resampled rows (seeded, 1,000 resamples). */
export function bootstrapInterval(scores: readonly number[], labels: readonly boolean[], statistic: (scores: number[], labels: boolean[]) => number, resamples = 1000): [number, number] {
  const random = seededRandom(1);
  const values = Array.from({ length: resamples }, () => {
    const picks = Array.from(scores, () => Math.floor(random() * scores.length));
    return statistic(
      picks.map((i) => scores[i]!),
      picks.map((i) => labels[i]!),
    );
  }).sort((a, b) => a - b);
  return [values[Math.floor(0.025 * resamples)]!, values[Math.floor(0.975 * resamples)]!];
}
