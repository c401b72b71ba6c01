import { z } from 'zod';
import { featurize, type SparseVector } from '../political/features.ts';
import { dot, embeddingProbability, fromBase64, PoliticalModelFileSchema, sigmoid, toBase64, type EmbeddingHead, type LinearModel, type Platt } from '../political/model.ts';

/**
 * The shipped file: the political classifier's hashed n-gram features under one Platt-calibrated
 * logistic output, and optionally a head over sentence embeddings for the cascade (TOXICITY_CASCADE),
 * stored as the political model stores its own.
 */
export const ToxicityModelFileSchema = z.object({
  format: z.literal('skysift-toxicity-v1'),
  bits: z.number().int().min(10).max(22),
  weights: z.string(),
  bias: z.number(),
  platt: z.object({ a: z.number(), b: z.number() }),
  embedding: PoliticalModelFileSchema.shape.embedding,
  trained: z.record(z.string(), z.unknown()),
});
export type ToxicityModelFile = z.infer<typeof ToxicityModelFileSchema>;

export interface ToxicityModel extends LinearModel {
  bits: number;
  platt: Platt;
  /** Consulted, with TOXICITY_CASCADE, for posts whose n-gram probability lies inside its band. */
  embedding?: EmbeddingHead;
}

/** The n-gram model's calibrated probability that a text is toxic, from its features. */
export function ngramToxicity(model: LinearModel & { platt: Platt }, x: SparseVector): number {
  return sigmoid(model.platt.a * dot(model.weights, x, model.bias) + model.platt.b);
}

/** Whether the cascade wants the post's sentence embedding: the model has a head and the n-gram model is unsure. */
export function wantsEmbedding(model: ToxicityModel, ngram: number): boolean {
  return model.embedding !== undefined && ngram > model.embedding.band.low && ngram < model.embedding.band.high;
}

/** The probability: the n-gram model's, or for an unsure post with its embedding, the mean of both calibrated models. */
export function combinedToxicity(model: ToxicityModel, ngram: number, embedding?: Float32Array): number {
  return embedding && model.embedding && wantsEmbedding(model, ngram) ? (ngram + embeddingProbability(model.embedding, embedding)) / 2 : ngram;
}

/** Pure inference: the same text (and embedding) always gives the same probability. */
export const toxicity = (model: ToxicityModel, text: string, embedding?: Float32Array): number => combinedToxicity(model, ngramToxicity(model, featurize(text, model.bits)), embedding);

export function encodeToxicityModel(model: ToxicityModel, trained: Record<string, unknown>): ToxicityModelFile {
  const { embedding } = model;
  return {
    format: 'skysift-toxicity-v1',
    bits: model.bits,
    weights: toBase64(model.weights),
    bias: model.bias,
    platt: model.platt,
    ...(embedding && { embedding: { ...embedding, dimensions: embedding.weights.length, weights: toBase64(embedding.weights) } }),
    trained,
  };
}

export function decodeToxicityModel(file: ToxicityModelFile): ToxicityModel {
  const { embedding } = file;
  return {
    bits: file.bits,
    weights: fromBase64(file.weights, 1 << file.bits),
    bias: file.bias,
    platt: file.platt,
    ...(embedding && {
      embedding: { embedder: embedding.embedder, bias: embedding.bias, platt: embedding.platt, band: embedding.band, weights: fromBase64(embedding.weights, embedding.dimensions) },
    }),
  };
}
