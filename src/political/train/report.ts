import { LEANS, type Lean, type PoliticalScores } from '../model.ts';
import type { LabelledPost } from './data.ts';
import { binaryMetrics, calibrationError, leanMetrics, reliabilityBins, rocAuc, sliceTable, type BinaryMetrics } from './evaluate.ts';

/** The most probable lean of a post given that it is sociopolitical. */
export const predictedLean = (scores: PoliticalScores): Lean => LEANS.reduce((best, lean) => (scores[lean] > scores[best] ? lean : best), LEANS[0]);

/** Everything reported about one model on one set of held-out posts. */
export function heldOutReport(posts: readonly LabelledPost[], scores: readonly PoliticalScores[], threshold: number, majority: Lean, sourceOf: (post: LabelledPost) => string) {
  const probabilities = scores.map((s) => s.sociopolitical);
  const labels = posts.map((p) => p.sociopolitical);
  const leaning = posts.flatMap((p, i) => (p.lean ? [{ truth: p.lean, predicted: predictedLean(scores[i]!) }] : []));
  const reliability = reliabilityBins(probabilities, labels);
  return {
    threshold,
    sociopolitical: binaryMetrics(probabilities, labels, threshold),
    atHalf: binaryMetrics(probabilities, labels, 0.5),
    auc: rocAuc(probabilities, labels),
    calibrationError: calibrationError(reliability),
    slices: sliceTable(posts, probabilities, threshold, sourceOf),
    reliability,
    thresholds: [0.2, 0.3, 0.4, 0.5, 0.6, 0.7].map((t) => ({ threshold: t, ...binaryMetrics(probabilities, labels, t) })),
    /** What `political [left|right, >=, t]` labels: precision and recall against posts labelled sociopolitical with that lean. */
    leanLabels: (['left', 'right'] as const).flatMap((lean) =>
      [0.2, 0.3, 0.4, 0.5, 0.6].map((t) => ({
        lean,
        threshold: t,
        ...binaryMetrics(
          scores.map((s) => s[lean]),
          posts.map((p) => p.lean === lean),
          t,
        ),
      })),
    ),
    lean: leanMetrics(
      leaning.map((l) => l.predicted),
      leaning.map((l) => l.truth),
      majority,
    ),
  };
}
export type HeldOutReport = ReturnType<typeof heldOutReport>;

export const f3 = (n: number) => n.toFixed(3);

/** One line of a variant comparison. */
export function variantLine(name: string, validation: BinaryMetrics, test: BinaryMetrics, testReplies: BinaryMetrics): string {
  return `${name.padEnd(52)} validation acc ${f3(validation.accuracy)} R ${f3(validation.recall)} | test acc ${f3(test.accuracy)} P ${f3(test.precision)} R ${f3(test.recall)} F1 ${f3(test.f1)} | test replies acc ${f3(testReplies.accuracy)} R ${f3(testReplies.recall)}`;
}

/** Prints a held-out report as tables. */
export function printReport(title: string, report: HeldOutReport) {
  const row = (m: BinaryMetrics) => ({ n: m.n, accuracy: f3(m.accuracy), precision: f3(m.precision), recall: f3(m.recall), f1: f3(m.f1) });
  console.log(`\n${title} — threshold ${report.threshold} (AUC ${f3(report.auc)}, calibration error ${f3(report.calibrationError)})`);
  console.table(Object.fromEntries(report.slices.map((s) => [s.slice, row(s)])));
  console.table(report.reliability.map((b) => ({ range: b.range, count: b.count, meanPredicted: f3(b.meanPredicted), observed: f3(b.observed) })));
  const lean = report.lean;
  console.log(
    `lean on ${lean.n} sociopolitical posts: accuracy ${f3(lean.accuracy)} macro-F1 ${f3(lean.macroF1)}; always "${lean.baseline.lean}": ${f3(lean.baseline.accuracy)} / ${f3(lean.baseline.macroF1)}`,
  );
}

/** Markdown table of a report's slices, as the model card quotes it. */
export function markdownSlices(report: HeldOutReport): string {
  const lines = ['| held-out slice | n | accuracy | precision | recall | F1 |', '|---|---|---|---|---|---|'];
  for (const s of report.slices) lines.push(`| ${s.slice} | ${s.n} | ${f3(s.accuracy)} | ${f3(s.precision)} | ${f3(s.recall)} | ${f3(s.f1)} |`);
  return lines.join('\n');
}
