import { z } from 'zod';
import { featurize, type SparseVector } from './features.ts';

export const LEANS = ['left', 'right', 'moderate', 'unclear'] as const;
export type Lean = (typeof LEANS)[number];
export const CATEGORIES = ['sociopolitical', ...LEANS] as const;
export type Category = (typeof CATEGORIES)[number];

/** The shipped file: float32 weights as base64, so the JSON stays a few MB and loads in milliseconds. */
export const PoliticalModelFileSchema = z.object({
  format: z.literal('skysift-political-v1'),
  bits: z.number().int().min(10).max(22),
  sociopolitical: z.object({ weights: z.string(), bias: z.number(), platt: z.object({ a: z.number(), b: z.number() }) }),
  lean: z.object({
    classes: z.tuple([z.literal('left'), z.literal('right'), z.literal('moderate'), z.literal('unclear')]),
    weights: z.array(z.string()).length(4),
    biases: z.array(z.number()).length(4),
  }),
  /** Optional cascade: a logistic head over sentence embeddings, consulted only when the n-gram probability lies inside `band`. */
  embedding: z
    .object({
      embedder: z.string(),
      dimensions: z.number().int().positive(),
      weights: z.string(),
      bias: z.number(),
      platt: z.object({ a: z.number(), b: z.number() }),
      band: z.object({ low: z.number(), high: z.number() }),
    })
    .optional(),
  trained: z.record(z.string(), z.unknown()),
});
export type PoliticalModelFile = z.infer<typeof PoliticalModelFileSchema>;

export interface LinearModel {
  weights: Float32Array;
  bias: number;
}

export interface Platt {
  a: number;
  b: number;
}

export interface EmbeddingHead extends LinearModel {
  embedder: string;
  platt: Platt;
  band: { low: number; high: number };
}

export interface PoliticalModel {
  bits: number;
  sociopolitical: LinearModel & { platt: Platt };
  lean: LinearModel[];
  embedding?: EmbeddingHead;
}

/** Calibrated probabilities. Lean probabilities are P(lean | sociopolitical) × P(sociopolitical), so they never exceed `sociopolitical`. */
export type PoliticalScores = Record<Category, number>;

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

export function dot(weights: ArrayLike<number>, x: SparseVector, bias: number): number {
  let sum = bias;
  for (let i = 0; i < x.indices.length; i++) sum += weights[x.indices[i]!]! * x.values[i]!;
  return sum;
}

export function softmax(logits: number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

export function ngramProbability(model: PoliticalModel, x: SparseVector): number {
  const { sociopolitical: s } = model;
  return sigmoid(s.platt.a * dot(s.weights, x, s.bias) + s.platt.b);
}

/** Whether the cascade wants the post's sentence embedding: the model has a head and the n-gram model is unsure. */
export function wantsEmbedding(model: PoliticalModel, ngram: number): boolean {
  return model.embedding !== undefined && ngram > model.embedding.band.low && ngram < model.embedding.band.high;
}

export function embeddingProbability(head: EmbeddingHead, embedding: Float32Array): number {
  let margin = head.bias;
  for (let i = 0; i < embedding.length; i++) margin += head.weights[i]! * embedding[i]!;
  return sigmoid(head.platt.a * margin + head.platt.b);
}

/** P(lean | sociopolitical) in `LEANS` order. */
export function leanDistribution(model: PoliticalModel, x: SparseVector): number[] {
  return softmax(model.lean.map((m) => dot(m.weights, x, m.bias)));
}

/** Scores from the features and, for unsure posts, the sentence embedding: then P(sociopolitical) is the mean of both calibrated models. */
export function scoreVector(model: PoliticalModel, x: SparseVector, embedding?: Float32Array): PoliticalScores {
  const ngram = ngramProbability(model, x);
  const p = embedding && model.embedding && wantsEmbedding(model, ngram) ? (ngram + embeddingProbability(model.embedding, embedding)) / 2 : ngram;
  const lean = leanDistribution(model, x);
  return { sociopolitical: p, left: lean[0]! * p, right: lean[1]! * p, moderate: lean[2]! * p, unclear: lean[3]! * p };
}

/** Pure inference: the same text (and embedding) always gives the same scores. */
export function classify(model: PoliticalModel, text: string, embedding?: Float32Array): PoliticalScores {
  return scoreVector(model, featurize(text, model.bits), embedding);
}

export const toBase64 = (weights: Float32Array): string => Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength).toString('base64');

export function fromBase64(text: string, size: number): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== size * 4) throw new Error(`weights have ${bytes.length / 4} entries, expected ${size}`);
  const weights = new Float32Array(size);
  new Uint8Array(weights.buffer).set(bytes);
  return weights;
}

export function encodeModel(model: PoliticalModel, trained: Record<string, unknown>): PoliticalModelFile {
  const { sociopolitical: s } = model;
  return {
    format: 'skysift-political-v1',
    bits: model.bits,
    sociopolitical: { weights: toBase64(s.weights), bias: s.bias, platt: s.platt },
    lean: { classes: [...LEANS], weights: model.lean.map((m) => toBase64(m.weights)), biases: model.lean.map((m) => m.bias) },
    ...(model.embedding && { embedding: { ...model.embedding, dimensions: model.embedding.weights.length, weights: toBase64(model.embedding.weights) } }),
    trained,
  };
}

export function decodeModel(file: PoliticalModelFile): PoliticalModel {
  const size = 1 << file.bits;
  return {
    bits: file.bits,
    sociopolitical: { weights: fromBase64(file.sociopolitical.weights, size), bias: file.sociopolitical.bias, platt: file.sociopolitical.platt },
    lean: file.lean.weights.map((w, i) => ({ weights: fromBase64(w, size), bias: file.lean.biases[i]! })),
    ...(file.embedding && {
      embedding: {
        embedder: file.embedding.embedder,
        bias: file.embedding.bias,
        platt: file.embedding.platt,
        band: file.embedding.band,
        weights: fromBase64(file.embedding.weights, file.embedding.dimensions),
      },
    }),
  };
}
