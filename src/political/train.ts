import type { Example } from './data.ts';
import { featurize, type SparseVector } from './features.ts';
import { dot, LEANS, sigmoid, softmax, type Lean, type LinearModel, type PoliticalModel } from './model.ts';
import { seededRandom, shuffled } from '../models/random.ts';

/** Training hyper-parameters; the seed fixes the example order, so a run is reproducible bit for bit. */
export interface TrainOptions {
  bits: number;
  epochs: number;
  learningRate: number;
  l2: number;
  seed: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = { bits: 18, epochs: 30, learningRate: 0.5, l2: 1e-4, seed: 7 };

/** What one example should predict: a class index, or a distribution over the classes (a teacher's soft answer; binary: the positive probability). */
export type Target = number | readonly number[];

function distribution(target: Target, classes: number): readonly number[] {
  if (typeof target !== 'number') return target;
  if (classes === 2) return [1 - target, target];
  return Array.from({ length: classes }, (_, k) => (k === target ? 1 : 0));
}

/**
 * Softmax regression (2 classes: one binary logistic output) by AdaGrad SGD with L2, shuffled each epoch, towards each
 * example's target distribution, scaled by its weight (default 1). Class weights balance the classes by their target
 * mass, so a soft target counts as its fractions of each class.
 */
export function trainSoftmax(xs: readonly SparseVector[], targets: readonly Target[], classes: number, options: TrainOptions, exampleWeights?: readonly number[]): LinearModel[] {
  const size = 1 << options.bits;
  const outputs = classes === 2 ? 1 : classes;
  const weights = Array.from({ length: outputs }, () => new Float64Array(size));
  const squares = Array.from({ length: outputs }, () => new Float64Array(size));
  const biases = new Float64Array(outputs);
  const biasSquares = new Float64Array(outputs);
  const truths = targets.map((t) => distribution(t, classes));
  const weightOf = (i: number) => exampleWeights?.[i] ?? 1;
  const total = truths.reduce((n, _, i) => n + weightOf(i), 0);
  const mass = Array.from({ length: classes }, (_, c) => truths.reduce((n, truth, i) => n + weightOf(i) * truth[c]!, 0));
  const classWeight = mass.map((m) => (m ? total / (classes * m) : 0));
  const random = seededRandom(options.seed);
  const order = xs.map((_, i) => i);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (const i of shuffled(order, random)) {
      const x = xs[i]!;
      const truth = truths[i]!;
      const weight = weightOf(i) * truth.reduce((n, t, c) => n + t * classWeight[c]!, 0);
      const logits = weights.map((w, k) => dot(w, x, biases[k]!));
      const probabilities = outputs === 1 ? [sigmoid(logits[0]!)] : softmax(logits);
      for (let k = 0; k < outputs; k++) {
        const gradient = (probabilities[k]! - truth[outputs === 1 ? 1 : k]!) * weight;
        const w = weights[k]!;
        const g2 = squares[k]!;
        for (let j = 0; j < x.indices.length; j++) {
          const index = x.indices[j]!;
          const step = gradient * x.values[j]! + options.l2 * w[index]!;
          g2[index]! += step * step;
          w[index]! -= (options.learningRate * step) / Math.sqrt(g2[index]! + 1e-8);
        }
        biasSquares[k]! += gradient * gradient;
        biases[k]! -= (options.learningRate * gradient) / Math.sqrt(biasSquares[k]! + 1e-8);
      }
    }
  }
  return weights.map((w, k) => ({ weights: Float32Array.from(w), bias: biases[k]! }));
}

/** Binary logistic regression; a label is a boolean, or a probability where a teacher's soft answer stands in for one. */
export function trainLogistic(xs: readonly SparseVector[], labels: readonly (boolean | number)[], options: TrainOptions): LinearModel {
  return trainSoftmax(
    xs,
    labels.map((l) => Number(l)),
    2,
    options,
  )[0]!;
}

/** Platt scaling: fits p = sigmoid(a·z + b) to held-out margins by Newton-free gradient descent on log loss (Platt's smoothed targets). */
export function fitPlatt(margins: readonly number[], labels: readonly boolean[]): { a: number; b: number } {
  const positives = labels.filter(Boolean).length;
  const negatives = labels.length - positives;
  const high = (positives + 1) / (positives + 2);
  const low = 1 / (negatives + 2);
  let a = 1;
  let b = 0;
  for (let iteration = 0; iteration < 5000; iteration++) {
    let ga = 0;
    let gb = 0;
    for (let i = 0; i < margins.length; i++) {
      const error = sigmoid(a * margins[i]! + b) - (labels[i] ? high : low);
      ga += error * margins[i]!;
      gb += error;
    }
    a -= (0.5 * ga) / margins.length;
    b -= (0.5 * gb) / margins.length;
  }
  return { a, b };
}

/** An unlabelled text with a teacher's probability that it is sociopolitical and its lean distribution (in `LEANS` order) if it is. */
export interface SoftExample {
  text: string;
  probability: number;
  lean: readonly number[];
}

/**
 * Trains the whole classifier: logistic regression on `train`, Platt scaling on `validation`, lean softmax on the
 * sociopolitical training rows with a known lean. `distilled` texts join both with a teacher's answers as soft targets;
 * for lean each weighs its probability of being sociopolitical, since lean is only asked of sociopolitical posts.
 */
export function trainPoliticalModel(train: readonly Example[], validation: readonly Example[], options: TrainOptions, distilled: readonly SoftExample[] = []): PoliticalModel {
  const xs = train.map((e) => featurize(e.text, options.bits));
  const distilledXs = distilled.map((e) => featurize(e.text, options.bits));
  const linear = trainLogistic([...xs, ...distilledXs], [...train.map((e) => e.sociopolitical), ...distilled.map((e) => e.probability)], options);
  const platt = fitPlatt(
    validation.map((e) => dot(linear.weights, featurize(e.text, options.bits), linear.bias)),
    validation.map((e) => e.sociopolitical),
  );
  const leaning = train.flatMap((e, i) => (e.lean ? [{ x: xs[i]!, target: LEANS.indexOf(e.lean) as Target, weight: 1 }] : []));
  const softLeaning = distilled.map((e, i) => ({ x: distilledXs[i]!, target: e.lean, weight: e.probability }));
  const all = [...leaning, ...softLeaning];
  const lean = trainSoftmax(
    all.map((l) => l.x),
    all.map((l) => l.target),
    LEANS.length,
    options,
    all.map((l) => l.weight),
  );
  return { bits: options.bits, sociopolitical: { ...linear, platt }, lean };
}

/** A dense embedding as the sparse vector the trainer takes (every dimension present). */
export function denseVector(values: Float32Array): SparseVector {
  return { indices: Uint32Array.from(values, (_, i) => i), values };
}

/** Options for dense embeddings: as many weights as the next power of two above the dimensions (the trainer hashes into 2^bits). */
function denseOptions(dimensions: number, options: TrainOptions): TrainOptions {
  return { ...options, bits: Math.ceil(Math.log2(Math.max(2, dimensions))) };
}

/** The cascade's second opinion: logistic regression over sentence embeddings, Platt-scaled on `validation`. */
export function trainEmbeddingHead(
  train: readonly { embedding: Float32Array; sociopolitical: boolean }[],
  validation: readonly { embedding: Float32Array; sociopolitical: boolean }[],
  options: TrainOptions,
): LinearModel & { platt: { a: number; b: number } } {
  const dimensions = train[0]?.embedding.length ?? 0;
  const linear = trainLogistic(
    train.map((e) => denseVector(e.embedding)),
    train.map((e) => e.sociopolitical),
    denseOptions(dimensions, options),
  );
  const weights = linear.weights.slice(0, dimensions);
  const platt = fitPlatt(
    validation.map((e) => dot(weights, denseVector(e.embedding), linear.bias)),
    validation.map((e) => e.sociopolitical),
  );
  return { weights, bias: linear.bias, platt };
}

/** The teacher's lean: softmax regression over sentence embeddings of the labelled sociopolitical rows. */
export function trainEmbeddingLean(train: readonly { embedding: Float32Array; lean: Lean }[], options: TrainOptions): LinearModel[] {
  const dimensions = train[0]?.embedding.length ?? 0;
  return trainSoftmax(
    train.map((e) => denseVector(e.embedding)),
    train.map((e) => LEANS.indexOf(e.lean)),
    LEANS.length,
    denseOptions(dimensions, options),
  ).map((m) => ({ weights: m.weights.slice(0, dimensions), bias: m.bias }));
}
