import { z } from 'zod';
import type { FeatureKind, FeatureProvider } from '../core/features.ts';
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
/** int16 weights of one head, base64, with the step of each feature block (see `quantize`). */
export const QuantizedSchema = z.object({ steps: z.array(z.number().nonnegative()), data: z.string() });
type Quantized = z.infer<typeof QuantizedSchema>;

/** One operating mode: its features, a calibrated sociopolitical head, a lean softmax, and the threshold chosen on held-out (out-of-fold) posts. */
const ModeFileSchema = z.object({
  features: z.array(FeatureBlockSchema).min(1),
  sociopolitical: z.object({ weights: QuantizedSchema, bias: z.number(), platt: PlattSchema }),
  lean: z.object({
    classes: z.tuple([z.literal('left'), z.literal('right'), z.literal('moderate'), z.literal('unclear')]),
    weights: z.array(QuantizedSchema).length(4),
    biases: z.array(z.number()).length(4),
  }),
  /** P(sociopolitical) at which the shipped manifest labels a post, chosen on held-out (out-of-fold) development posts (recall first). */
  threshold: z.number().min(0).max(1),
  /** Quality mode only: posts whose default-mode probability lies outside (low, high) keep the default answer and skip the embedding. */
  band: z.object({ low: z.number(), high: z.number() }).optional(),
});

/** The shipped file: quantised weights as base64, so the JSON stays small and loads in milliseconds. */
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
  /**
   * The five heads' weights interleaved by feature (sociopolitical, then the leans), set on a loaded model: a post's
   * few hundred features then cost one cache miss each instead of five (the weights are 5 MB), which was half the
   * cost of scoring a post. Scores are the same to the bit.
   */
  heads?: Float32Array;
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
  if (mode.heads) return scoreInterleaved(mode, mode.heads, x);
  const p = sociopoliticalProbability(mode, x);
  const lean = leanDistribution(mode, x);
  return { sociopolitical: p, left: lean[0]! * p, right: lean[1]! * p, moderate: lean[2]! * p, unclear: lean[3]! * p };
}

const HEADS = 1 + LEANS.length;

/** The five heads' weights interleaved by feature (see ModeModel.heads). */
function interleave(mode: Pick<ModeModel, 'sociopolitical' | 'lean'>): Float32Array {
  const heads = [mode.sociopolitical.weights, ...mode.lean.map((m) => m.weights)];
  const size = heads[0]!.length;
  const out = new Float32Array(size * HEADS);
  for (let h = 0; h < HEADS; h++) for (let i = 0; i < size; i++) out[i * HEADS + h] = heads[h]![i]!;
  return out;
}

/** `scoreFeatures` in one pass over the interleaved heads: the same sums, added in the same order, as `dot` per head. */
function scoreInterleaved(mode: ModeModel, heads: Float32Array, { indices, values }: SparseVector): PoliticalScores {
  let s = mode.sociopolitical.bias;
  let left = mode.lean[0]!.bias;
  let right = mode.lean[1]!.bias;
  let moderate = mode.lean[2]!.bias;
  let unclear = mode.lean[3]!.bias;
  for (let i = 0; i < indices.length; i++) {
    const at = indices[i]! * HEADS;
    const v = values[i]!;
    s += heads[at]! * v;
    left += heads[at + 1]! * v;
    right += heads[at + 2]! * v;
    moderate += heads[at + 3]! * v;
    unclear += heads[at + 4]! * v;
  }
  const { platt } = mode.sociopolitical;
  const p = sigmoid(platt.a * s + platt.b);
  const lean = softmax([left, right, moderate, unclear]);
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

/**
 * Weights as stored: int16 per feature block, each block with its own step (its largest magnitude / 32767), base64.
 * Half the size of float32 at a rounding error far below what changes a score (the trainer reports the numbers of
 * the model as stored, after this round trip).
 */

export function quantize(weights: Float32Array, features: readonly FeatureBlock[]): Quantized {
  const data = new Int16Array(weights.length);
  const steps: number[] = [];
  let start = 0;
  for (const block of features) {
    const end = start + blockSize(block);
    let max = 0;
    for (let i = start; i < end; i++) max = Math.max(max, Math.abs(weights[i]!));
    const step = max / 32767;
    for (let i = start; i < end; i++) data[i] = step ? Math.round(weights[i]! / step) : 0;
    steps.push(step);
    start = end;
  }
  return { steps, data: Buffer.from(data.buffer).toString('base64') };
}

export function dequantize({ steps, data }: Quantized, features: readonly FeatureBlock[]): Float32Array {
  const bytes = Buffer.from(data, 'base64');
  const size = layoutSize(features);
  if (bytes.length !== size * 2) throw new Error(`weights have ${bytes.length / 2} entries, expected ${size}`);
  if (steps.length !== features.length) throw new Error(`weights have ${steps.length} block steps, expected ${features.length}`);
  const values = new Int16Array(size);
  new Uint8Array(values.buffer).set(bytes);
  const weights = new Float32Array(size);
  let start = 0;
  features.forEach((block, b) => {
    const end = start + blockSize(block);
    for (let i = start; i < end; i++) weights[i] = values[i]! * steps[b]!;
    start = end;
  });
  return weights;
}

function encodeMode(mode: ModeModel): z.infer<typeof ModeFileSchema> {
  return {
    features: mode.features,
    sociopolitical: { weights: quantize(mode.sociopolitical.weights, mode.features), bias: mode.sociopolitical.bias, platt: mode.sociopolitical.platt },
    lean: { classes: [...LEANS], weights: mode.lean.map((m) => quantize(m.weights, mode.features)), biases: mode.lean.map((m) => m.bias) },
    threshold: mode.threshold,
    ...(mode.band && { band: mode.band }),
  };
}

function decodeMode(file: z.infer<typeof ModeFileSchema>): ModeModel {
  const sociopolitical = { weights: dequantize(file.sociopolitical.weights, file.features), bias: file.sociopolitical.bias, platt: file.sociopolitical.platt };
  const lean = file.lean.weights.map((w, i) => ({ weights: dequantize(w, file.features), bias: file.lean.biases[i]! }));
  return { features: file.features, sociopolitical, lean, threshold: file.threshold, ...(file.band && { band: file.band }), heads: interleave({ sociopolitical, lean }) };
}

export function encodeModel(model: PoliticalModel, trained: Record<string, unknown>): PoliticalModelFile {
  return { format: 'skysift-political-v2', modes: { default: encodeMode(model.default), ...(model.quality && { quality: encodeMode(model.quality) }) }, trained };
}

/** The model as the shipped file will hold it (weights quantised): what the trainer evaluates and reports. */
export const asStored = (model: PoliticalModel): PoliticalModel => decodeModel(encodeModel(model, {}));

export function decodeModel(file: PoliticalModelFile): PoliticalModel {
  return { default: decodeMode(file.modes.default), ...(file.modes.quality && { quality: decodeMode(file.modes.quality) }) };
}

/**
 * A model's inference for one mode as a feature provider (the political and toxicity models): pure,
 * over the loaded model, so evaluation threads may run it. `name` says whose model lacks a mode.
 */
export function modeInferenceProvider<In extends ModeInput & { mode: Mode }, M, Out>(
  kind: FeatureKind<In, Out | { error: string }>,
  model: { default: M; quality?: M },
  infer: (mode: M, input: Omit<In, 'mode'>) => Out,
  name: string,
): FeatureProvider<In, Out | { error: string }> {
  return {
    kind,
    async compute(inputs) {
      return inputs.map(({ mode, ...input }) => {
        const modeModel = mode === 'quality' ? model.quality : model.default;
        return modeModel ? infer(modeModel, input) : { error: `the ${name} model has no ${mode} mode` };
      });
    },
    threadable: { failed: (reason) => ({ error: reason }) },
  };
}
