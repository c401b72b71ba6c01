import type { Example } from './data.ts';
import { featurize, type SparseVector } from './features.ts';
import { dot, LEANS, sigmoid, softmax, type LinearModel, type PoliticalModel } from './model.ts';
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

/**
 * Softmax regression (K=1 means binary logistic) by AdaGrad SGD with L2, shuffled each epoch. `targets[i]` is the
 * class index; a binary target may also be a probability (a teacher's soft answer). Class weights balance the
 * classes, counting a soft target as that fraction of a positive.
 */
function trainLinear(xs: readonly SparseVector[], targets: readonly number[], classes: number, options: TrainOptions): LinearModel[] {
  const size = 1 << options.bits;
  const outputs = classes === 2 ? 1 : classes;
  const weights = Array.from({ length: outputs }, () => new Float64Array(size));
  const squares = Array.from({ length: outputs }, () => new Float64Array(size));
  const biases = new Float64Array(outputs);
  const biasSquares = new Float64Array(outputs);
  const counts = Array.from({ length: classes }, (_, c) => targets.reduce((n, t) => n + (outputs === 1 ? (c === 1 ? t : 1 - t) : Number(t === c)), 0));
  const classWeight = counts.map((n) => (n ? targets.length / (classes * n) : 0));
  const exampleWeight = (target: number) => (outputs === 1 ? target * classWeight[1]! + (1 - target) * classWeight[0]! : classWeight[target]!);
  const random = seededRandom(options.seed);
  const order = xs.map((_, i) => i);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (const i of shuffled(order, random)) {
      const x = xs[i]!;
      const target = targets[i]!;
      const weight = exampleWeight(target);
      const logits = weights.map((w, k) => dot(w, x, biases[k]!));
      const probabilities = outputs === 1 ? [sigmoid(logits[0]!)] : softmax(logits);
      for (let k = 0; k < outputs; k++) {
        const truth = outputs === 1 ? target : target === k ? 1 : 0;
        const gradient = (probabilities[k]! - truth) * weight;
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
  return trainLinear(
    xs,
    labels.map((l) => Number(l)),
    2,
    options,
  )[0]!;
}

export function trainSoftmax(xs: readonly SparseVector[], targets: readonly number[], classes: number, options: TrainOptions): LinearModel[] {
  return trainLinear(xs, targets, classes, options);
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

/** An unlabelled text with a teacher's probability that it is sociopolitical. */
export interface SoftExample {
  text: string;
  probability: number;
}

/**
 * Trains the whole classifier: logistic regression on `train` (plus `distilled` texts, whose targets are a teacher's
 * probabilities), Platt scaling on `validation`, lean softmax on the sociopolitical training rows with a known lean.
 */
export function trainPoliticalModel(train: readonly Example[], validation: readonly Example[], options: TrainOptions, distilled: readonly SoftExample[] = []): PoliticalModel {
  const xs = train.map((e) => featurize(e.text, options.bits));
  const linear = trainLogistic([...xs, ...distilled.map((e) => featurize(e.text, options.bits))], [...train.map((e) => e.sociopolitical), ...distilled.map((e) => e.probability)], options);
  const platt = fitPlatt(
    validation.map((e) => dot(linear.weights, featurize(e.text, options.bits), linear.bias)),
    validation.map((e) => e.sociopolitical),
  );
  const leaning = train.flatMap((e, i) => (e.lean ? [{ x: xs[i]!, target: LEANS.indexOf(e.lean) }] : []));
  const lean = trainSoftmax(
    leaning.map((l) => l.x),
    leaning.map((l) => l.target),
    LEANS.length,
    options,
  );
  return { bits: options.bits, sociopolitical: { ...linear, platt }, lean };
}

/** A dense embedding as the sparse vector the trainer takes (every dimension present). */
export function denseVector(values: Float32Array): SparseVector {
  return { indices: Uint32Array.from(values, (_, i) => i), values };
}

/** The cascade's second opinion: logistic regression over sentence embeddings, Platt-scaled on `validation`. */
export function trainEmbeddingHead(
  train: readonly { embedding: Float32Array; sociopolitical: boolean }[],
  validation: readonly { embedding: Float32Array; sociopolitical: boolean }[],
  options: TrainOptions,
): LinearModel & { platt: { a: number; b: number } } {
  const dimensions = train[0]?.embedding.length ?? 0;
  const bits = Math.ceil(Math.log2(Math.max(2, dimensions)));
  const linear = trainLogistic(
    train.map((e) => denseVector(e.embedding)),
    train.map((e) => e.sociopolitical),
    { ...options, bits },
  );
  const weights = linear.weights.slice(0, dimensions);
  const platt = fitPlatt(
    validation.map((e) => dot(weights, denseVector(e.embedding), linear.bias)),
    validation.map((e) => e.sociopolitical),
  );
  return { weights, bias: linear.bias, platt };
}
