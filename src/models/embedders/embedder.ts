/** A sentence-embedding model: texts in, one L2-normalised vector per text out (cosine = dot product). */
export interface Embedder {
  name: string;
  dimensions: number;
  embed(texts: string[]): Promise<Float32Array[]>;
}

/** Scales a vector to unit length; a zero vector stays zero. */
export function normalise(values: ArrayLike<number>): Float32Array {
  const vector = Float32Array.from(values);
  let sum = 0;
  for (const v of vector) sum += v * v;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i]! /= norm;
  return vector;
}

/** Cosine similarity of two normalised vectors. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}

/** The offline default: Google's Universal Sentence Encoder lite, shipped in an npm package. */
export const UNIVERSAL_SENTENCE_ENCODER = 'universal-sentence-encoder';

/** The fast default: a static embedding table distilled from the encoder above, shipped in `models/` (see its MODEL_CARD.md). */
export const STATIC_EMBEDDER = 'skysift-static-v1';

export { DEFAULT_EMBEDDER } from '../../core/model-entry.ts';
