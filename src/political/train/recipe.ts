import type { SparseVector } from '../features.ts';
import { dot, featureVector, layoutSize, leanDistribution, LEANS, sigmoid, sociopoliticalProbability, type FeatureBlock, type ModeInput, type ModeModel } from '../model.ts';
import type { LabelledPost, Post } from './data.ts';
import { chooseThreshold } from './evaluate.ts';
import { fitLogistic, fitPlatt, fitSoftmax, type FitOptions, type Target } from './fit.ts';

/** Everything one training run needs besides the rows: the features of a post, the learner settings, the recall the threshold must reach. */
export interface RecipeSettings {
  input: (post: Post) => ModeInput;
  options: FitOptions;
  minRecall: number;
  /** How far the lean softmax counters its rare classes (see `fitSoftmax`): right and moderate are ~2% of lean labels. */
  leanBalance: number;
}

/** An unlabelled post with a teacher's probability that it is sociopolitical and its lean distribution (in `LEANS` order). */
export interface SoftLabel {
  post: Post;
  probability: number;
  lean: readonly number[];
}

/**
 * Fits one mode, uncalibrated (identity Platt, threshold 0.5): class-balanced logistic regression for sociopolitical
 * (labelled rows, plus `distilled` posts with a teacher's probability as soft target) and a lean softmax over the
 * labelled sociopolitical rows (plus each distilled post's teacher lean, weighted by its teacher probability).
 */
export function fitUncalibrated(features: FeatureBlock[], train: readonly LabelledPost[], settings: RecipeSettings, distilled: readonly SoftLabel[] = []): ModeModel {
  const size = layoutSize(features);
  const vector = (post: Post): SparseVector => featureVector(features, settings.input(post));
  const xs = train.map(vector);
  const softXs = distilled.map((d) => vector(d.post));
  const linear = fitLogistic([...xs, ...softXs], [...train.map((p) => p.sociopolitical), ...distilled.map((d) => d.probability)], size, settings.options);
  const leaning = [
    ...train.flatMap((p, i) => (p.lean ? [{ x: xs[i]!, target: LEANS.indexOf(p.lean) as Target, weight: 1 }] : [])),
    ...distilled.map((d, i) => ({ x: softXs[i]!, target: d.lean as Target, weight: d.probability })),
  ];
  const lean = fitSoftmax(
    leaning.map((l) => l.x),
    leaning.map((l) => l.target),
    { classes: LEANS.length, size, balance: settings.leanBalance, weights: leaning.map((l) => l.weight) },
    settings.options,
  );
  return { features, sociopolitical: { ...linear, platt: { a: 1, b: 0 } }, lean, threshold: 0.5 };
}

/** A mode's raw sociopolitical margin on a post (before Platt scaling). */
export const marginOf = (mode: ModeModel, input: ModeInput): number => dot(mode.sociopolitical.weights, featureVector(mode.features, input), mode.sociopolitical.bias);

/**
 * Platt scaling and the threshold from held-out margins: the most accurate threshold whose recall reaches
 * `minRecall`. The margins may come from the mode itself (a validation split) or from its out-of-fold twins.
 */
export function calibrate(mode: ModeModel, margins: readonly number[], labels: readonly boolean[], minRecall: number): ModeModel {
  const platt = fitPlatt(margins, labels);
  const probabilities = margins.map((m) => sigmoid(platt.a * m + platt.b));
  return { ...mode, sociopolitical: { ...mode.sociopolitical, platt }, threshold: chooseThreshold(probabilities, labels, minRecall) };
}

/** Fits one mode on `train` and calibrates it on `validation`. */
export function fitMode(features: FeatureBlock[], train: readonly LabelledPost[], validation: readonly LabelledPost[], settings: RecipeSettings, distilled: readonly SoftLabel[] = []): ModeModel {
  const mode = fitUncalibrated(features, train, settings, distilled);
  return calibrate(
    mode,
    validation.map((p) => marginOf(mode, settings.input(p))),
    validation.map((p) => p.sociopolitical),
    settings.minRecall,
  );
}

/** The teacher's answers on unlabelled posts: its calibrated probability and its lean distribution. */
export function teach(teacher: ModeModel, posts: readonly Post[], input: (post: Post) => ModeInput): SoftLabel[] {
  return posts.map((post) => {
    const x = featureVector(teacher.features, input(post));
    return { post, probability: sociopoliticalProbability(teacher, x), lean: leanDistribution(teacher, x) };
  });
}
