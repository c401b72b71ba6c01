import { z } from 'zod';
import { concatenate, denseVector, featurize, featurizeContext, type SparseVector } from './features.ts';

export const LEANS = ['left', 'right', 'moderate', 'unclear'] as const;
export type Lean = (typeof LEANS)[number];
export const CATEGORIES = ['sociopolitical', ...LEANS] as const;
export type Category = (typeof CATEGORIES)[number];
export const MODES = ['default', 'quality'] as const;
export type Mode = (typeof MODES)[number];

/**
 * A block of a mode's feature vector, laid end to end in the model's order: the post's own hashed n-grams, the hashed
 * n-grams of the post it answers, or a sentence embedding of the post's own text (unit length). An n-gram block's
 * `scale` (its vector's length) sets how strongly it speaks against the others under the same regularisation.
 */
export const FeatureBlockSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ngrams'), bits: z.number().int().min(10).max(22), scale: z.number().positive().max(1) }),
  z.object({ kind: z.literal('context-ngrams'), bits: z.number().int().min(10).max(22), scale: z.number().positive().max(1) }),
  z.object({ kind: z.literal('embedding'), embedder: z.string(), dimensions: z.number().int().positive() }),
]);
export type FeatureBlock = z.infer<typeof FeatureBlockSchema>;

const PlattSchema = z.object({ a: z.number(), b: z.number() });

/** One operating mode: its features, a calibrated sociopolitical head, a lean softmax, and the threshold chosen on validation. */
const ModeFileSchema = z.object({
  features: z.array(FeatureBlockSchema).min(1),
  sociopolitical: z.object({ weights: z.string(), bias: z.number(), platt: PlattSchema }),
  lean: z.object({
    classes: z.tuple([z.literal('left'), z.literal('right'), z.literal('moderate'), z.literal('unclear')]),
    weights: z.array(z.string()).length(4),
    biases: z.array(z.number()).length(4),
  }),
  /** P(sociopolitical) at which the shipped manifest labels a post, chosen on validation posts (recall first). */
  threshold: z.number().min(0).max(1),
  /** Quality mode only: posts whose default-mode probability lies outside (low, high) keep the default answer and skip the embedding. */
  band: z.object({ low: z.number(), high: z.number() }).optional(),
});

/** The shipped file: float32 weights as base64, so the JSON loads in milliseconds. */
export const PoliticalModelFileSchema = z.object({
  format: z.literal('skysift-political-v2'),
  modes: z.object({ default: ModeFileSchema, quality: ModeFileSchema.optional() }),
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

export interface ModeModel {
  features: FeatureBlock[];
  sociopolitical: LinearModel & { platt: Platt };
  lean: LinearModel[];
  threshold: number;
  band?: { low: number; high: number };
}

export interface PoliticalModel {
  default: ModeModel;
  quality?: ModeModel;
}

/** Calibrated probabilities. Lean probabilities are P(lean | sociopolitical) × P(sociopolitical), so they never exceed `sociopolitical`. */
export type PoliticalScores = Record<Category, number>;

/** What a mode's features are computed from: the post's own text, the answered post's text, and embeddings by embedder name. */
export interface ModeInput {
  text: string;
  context?: string;
  embeddings?: ReadonlyMap<string, Float32Array>;
}

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

export function dot(weights: ArrayLike<number>, x: SparseVector, bias: number): number {
  let sum = bias;
  for (let i = 0; i < x.indices.length; i++) sum += weights[x.indices[i]!]! * x.values[i]!;
  return sum;
}

export function softmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

export function blockSize(block: FeatureBlock): number {
  return block.kind === 'embedding' ? block.dimensions : 1 << block.bits;
}

export const layoutSize = (features: readonly FeatureBlock[]): number => features.reduce((n, b) => n + blockSize(b), 0);

const EMPTY: SparseVector = { indices: new Uint32Array(0), values: new Float32Array(0) };

/** The embedders a mode needs, by name. */
export const embeddersOf = (features: readonly FeatureBlock[]): string[] => features.flatMap((b) => (b.kind === 'embedding' ? [b.embedder] : []));

/** The feature vector of a mode's layout. A missing context is an empty block; a missing embedding is an error (the caller waits for it). */
export function featureVector(features: readonly FeatureBlock[], input: ModeInput): SparseVector {
  return concatenate(
    features.map((block) => {
      if (block.kind === 'ngrams') return { x: featurize(input.text, block.bits, block.scale), size: blockSize(block) };
      if (block.kind === 'context-ngrams') return { x: input.context ? featurizeContext(input.context, block.bits, block.scale) : EMPTY, size: blockSize(block) };
      const embedding = input.embeddings?.get(block.embedder);
      if (!embedding) throw new Error(`the ${block.embedder} embedding is missing`);
      if (embedding.length !== block.dimensions) throw new Error(`the ${block.embedder} embedding has ${embedding.length} dimensions, the model expects ${block.dimensions}`);
      return { x: denseVector(embedding), size: block.dimensions };
    }),
  );
}

export function sociopoliticalProbability(mode: ModeModel, x: SparseVector): number {
  const { sociopolitical: s } = mode;
  return sigmoid(s.platt.a * dot(s.weights, x, s.bias) + s.platt.b);
}

/** P(lean | sociopolitical) in `LEANS` order. */
export function leanDistribution(mode: ModeModel, x: SparseVector): number[] {
  return softmax(mode.lean.map((m) => dot(m.weights, x, m.bias)));
}

export function scoreFeatures(mode: ModeModel, x: SparseVector): PoliticalScores {
  const p = sociopoliticalProbability(mode, x);
  const lean = leanDistribution(mode, x);
  return { sociopolitical: p, left: lean[0]! * p, right: lean[1]! * p, moderate: lean[2]! * p, unclear: lean[3]! * p };
}

/** Pure inference of one mode: the same input always gives the same scores. */
export function classify(mode: ModeModel, input: ModeInput): PoliticalScores {
  return scoreFeatures(mode, featureVector(mode.features, input));
}

/** Whether quality mode needs its own (embedding) answer for a post whose default-mode probability is `p`. */
export function wantsQuality(quality: ModeModel, p: number): boolean {
  return !quality.band || (p > quality.band.low && p < quality.band.high);
}

const toBase64 = (weights: Float32Array): string => Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength).toString('base64');

function fromBase64(text: string, size: number): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== size * 4) throw new Error(`weights have ${bytes.length / 4} entries, expected ${size}`);
  const weights = new Float32Array(size);
  new Uint8Array(weights.buffer).set(bytes);
  return weights;
}

function encodeMode(mode: ModeModel): z.infer<typeof ModeFileSchema> {
  return {
    features: mode.features,
    sociopolitical: { weights: toBase64(mode.sociopolitical.weights), bias: mode.sociopolitical.bias, platt: mode.sociopolitical.platt },
    lean: { classes: [...LEANS], weights: mode.lean.map((m) => toBase64(m.weights)), biases: mode.lean.map((m) => m.bias) },
    threshold: mode.threshold,
    ...(mode.band && { band: mode.band }),
  };
}

function decodeMode(file: z.infer<typeof ModeFileSchema>): ModeModel {
  const size = layoutSize(file.features);
  return {
    features: file.features,
    sociopolitical: { weights: fromBase64(file.sociopolitical.weights, size), bias: file.sociopolitical.bias, platt: file.sociopolitical.platt },
    lean: file.lean.weights.map((w, i) => ({ weights: fromBase64(w, size), bias: file.lean.biases[i]! })),
    threshold: file.threshold,
    ...(file.band && { band: file.band }),
  };
}

export function encodeModel(model: PoliticalModel, trained: Record<string, unknown>): PoliticalModelFile {
  return { format: 'skysift-political-v2', modes: { default: encodeMode(model.default), ...(model.quality && { quality: encodeMode(model.quality) }) }, trained };
}

export function decodeModel(file: PoliticalModelFile): PoliticalModel {
  return { default: decodeMode(file.modes.default), ...(file.modes.quality && { quality: decodeMode(file.modes.quality) }) };
}
