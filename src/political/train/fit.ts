import { seededRandom, shuffled } from '../../models/random.ts';
import type { SparseVector } from '../features.ts';
import { dot, sigmoid, softmax, type LinearModel, type Platt } from '../model.ts';

/** Learner hyper-parameters; the seed fixes the example order, so a run is reproducible bit for bit. */
export interface FitOptions {
  epochs: number;
  learningRate: number;
  l2: number;
  seed: number;
}

export const DEFAULT_FIT_OPTIONS: FitOptions = { epochs: 30, learningRate: 0.5, l2: 1e-4, seed: 7 };

/** What one example should predict: a class index, or a distribution over the classes (a teacher's soft answer; binary: the positive probability). */
export type Target = number | readonly number[];

function distribution(target: Target, classes: number): readonly number[] {
  if (typeof target !== 'number') return target;
  if (classes === 2) return [1 - target, target];
  return Array.from({ length: classes }, (_, k) => (k === target ? 1 : 0));
}

/**
 * Softmax regression (2 classes: one binary logistic output) over `size` features by AdaGrad SGD with L2, shuffled
 * each epoch, towards each example's target distribution, scaled by its weight (default 1). Class weights
 * (total / (classes × class mass))^balance counter rare classes: 1 balances fully, 0 not at all, 0.5 halfway (in log
 * terms); a soft target counts as its fractions of each class.
 */
export function fitSoftmax(
  xs: readonly SparseVector[],
  targets: readonly Target[],
  { classes, size, balance = 1, weights: exampleWeights }: { classes: number; size: number; balance?: number; weights?: readonly number[] },
  options: FitOptions,
): LinearModel[] {
  const outputs = classes === 2 ? 1 : classes;
  const weights = Array.from({ length: outputs }, () => new Float64Array(size));
  const squares = Array.from({ length: outputs }, () => new Float64Array(size));
  const biases = new Float64Array(outputs);
  const biasSquares = new Float64Array(outputs);
  const truths = targets.map((t) => distribution(t, classes));
  const weightOf = (i: number) => exampleWeights?.[i] ?? 1;
  const total = truths.reduce((n, _, i) => n + weightOf(i), 0);
  const mass = Array.from({ length: classes }, (_, c) => truths.reduce((n, truth, i) => n + weightOf(i) * truth[c]!, 0));
  const classWeight = mass.map((m) => (m ? (total / (classes * m)) ** balance : 0));
  const random = seededRandom(options.seed);
  const order = xs.map((_, i) => i);
  const logits = new Float64Array(outputs);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (const i of shuffled(order, random)) {
      const x = xs[i]!;
      const truth = truths[i]!;
      const weight = weightOf(i) * truth.reduce((n, t, c) => n + t * classWeight[c]!, 0);
      for (let k = 0; k < outputs; k++) logits[k] = dot(weights[k]!, x, biases[k]!);
      const probabilities = outputs === 1 ? [sigmoid(logits[0]!)] : softmax([...logits]);
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
export function fitLogistic(xs: readonly SparseVector[], labels: readonly (boolean | number)[], size: number, options: FitOptions, weights?: readonly number[]): LinearModel {
  return fitSoftmax(xs, labels.map(Number), { classes: 2, size, weights }, options)[0]!;
}

/** Platt scaling: fits p = sigmoid(a·z + b) to held-out margins by gradient descent on log loss (Platt's smoothed targets). */
export function fitPlatt(margins: readonly number[], labels: readonly boolean[]): Platt {
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
