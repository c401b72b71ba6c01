import { env, pipeline } from '@huggingface/transformers';
import type { Embedder } from './embedder.ts';

export interface TransformersOptions {
  /** Where models live in the transformers.js layout (`<dir>/<model id>/config.json`, `onnx/model.onnx`, `tokenizer.json`). */
  modelsDir: string;
  /** Whether a model missing from `modelsDir` may be downloaded from the Hugging Face hub (into `modelsDir`). */
  allowRemote: boolean;
}

/**
 * A transformers.js sentence-embedding model on onnxruntime-node, mean-pooled and normalised as
 * sentence-transformers does. transformers.js keeps its settings in one global `env`, so every
 * embedder of the process shares the same models directory and remote policy.
 */
export async function openTransformersEmbedder(name: string, modelId: string, { modelsDir, allowRemote }: TransformersOptions): Promise<Embedder> {
  env.localModelPath = modelsDir;
  env.cacheDir = modelsDir;
  env.allowLocalModels = true;
  env.allowRemoteModels = allowRemote;
  const extractor = await pipeline('feature-extraction', modelId, { dtype: 'fp32', device: 'cpu' });
  const probe = await extractor(['dimensions'], { pooling: 'mean', normalize: true });
  const dimensions = probe.dims.at(-1)!;
  return {
    name,
    dimensions,
    async embed(texts) {
      if (!texts.length) return [];
      const output = await extractor(texts, { pooling: 'mean', normalize: true });
      const data = output.data as Float32Array;
      return texts.map((_, i) => data.slice(i * dimensions, (i + 1) * dimensions));
    },
  };
}
