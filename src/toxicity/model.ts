import { z } from 'zod';
import type { SparseVector } from '../political/features.ts';
import { dequantize, dot, featureVector, FeatureBlockSchema, quantize, QuantizedSchema, sigmoid, type FeatureBlock, type LinearModel, type ModeInput, type Platt } from '../political/model.ts';

/**
 * The toxicity classifier has the political classifier's two modes, features and stored weights: `default`, hashed
 * n-grams fast enough for every post; `quality`, n-grams beside a sentence embedding, asked only about posts whose
 * default probability lies inside its band. One calibrated logistic output per mode.
 */
const ModeFileSchema = z.object({
  features: z.array(FeatureBlockSchema).min(1),
  toxic: z.object({ weights: QuantizedSchema, bias: z.number(), platt: z.object({ a: z.number(), b: z.number() }) }),
  band: z.object({ low: z.number(), high: z.number() }).optional(),
});

export const ToxicityModelFileSchema = z.object({
  format: z.literal('skysift-toxicity-v1'),
  modes: z.object({ default: ModeFileSchema, quality: ModeFileSchema.optional() }),
  /** The threshold with the best F1 on validation posts: where the model card's numbers are quoted, a starting point for manifests. */
  threshold: z.number().min(0).max(1),
  trained: z.record(z.string(), z.unknown()),
});
export type ToxicityModelFile = z.infer<typeof ToxicityModelFileSchema>;

export interface ToxicityMode {
  features: FeatureBlock[];
  toxic: LinearModel & { platt: Platt };
  band?: { low: number; high: number };
}

export interface ToxicityModel {
  default: ToxicityMode;
  quality?: ToxicityMode;
  threshold: number;
}

export function toxicProbability(mode: ToxicityMode, x: SparseVector): number {
  return sigmoid(mode.toxic.platt.a * dot(mode.toxic.weights, x, mode.toxic.bias) + mode.toxic.platt.b);
}

/** Pure inference of one mode: the same input always gives the same probability. */
export const classifyToxicity = (mode: ToxicityMode, input: ModeInput): number => toxicProbability(mode, featureVector(mode.features, input));

/** Whether quality mode needs its own (embedding) answer for a post whose default probability is `p`. */
export const wantsQuality = ({ band }: ToxicityMode, p: number): boolean => !band || (p > band.low && p < band.high);

/** Quality mode as the classifier runs it: the default answer unless the default probability falls inside the band. */
export function cascadeToxicity(model: Pick<ToxicityModel, 'default'> & { quality: ToxicityMode }, input: ModeInput): number {
  const fast = classifyToxicity(model.default, { text: input.text });
  return wantsQuality(model.quality, fast) ? classifyToxicity(model.quality, input) : fast;
}

const encodeMode = (mode: ToxicityMode): z.infer<typeof ModeFileSchema> => ({
  features: mode.features,
  toxic: { weights: quantize(mode.toxic.weights, mode.features), bias: mode.toxic.bias, platt: mode.toxic.platt },
  ...(mode.band && { band: mode.band }),
});

const decodeMode = (file: z.infer<typeof ModeFileSchema>): ToxicityMode => ({
  features: file.features,
  toxic: { weights: dequantize(file.toxic.weights, file.features), bias: file.toxic.bias, platt: file.toxic.platt },
  ...(file.band && { band: file.band }),
});

export function encodeToxicityModel(model: ToxicityModel, trained: Record<string, unknown>): ToxicityModelFile {
  return { format: 'skysift-toxicity-v1', modes: { default: encodeMode(model.default), ...(model.quality && { quality: encodeMode(model.quality) }) }, threshold: model.threshold, trained };
}

export function decodeToxicityModel(file: ToxicityModelFile): ToxicityModel {
  return { default: decodeMode(file.modes.default), ...(file.modes.quality && { quality: decodeMode(file.modes.quality) }), threshold: file.threshold };
}

/** The model as the shipped file will hold it (weights quantised): what the trainer evaluates and reports. */
export const asStoredToxicity = (model: ToxicityModel): ToxicityModel => decodeToxicityModel(encodeToxicityModel(model, {}));
