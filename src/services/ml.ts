import { createEmbeddingProvider } from '../models/embedding-provider.ts';
import { EmbedderRegistry } from '../models/embedders/registry.ts';
import { TreeModelStore } from '../models/tree-models.ts';
import type { ServiceContext, ServicePart } from './index.ts';

/** Compile-time service names the ML operators look up. */
export const EMBEDDERS_SERVICE = 'embedders';
export const TREE_MODELS_SERVICE = 'tree-models';

/** Embedding models and tree models, shared by every manifest; embeddings computed by one batched, cached provider. */
export function openMlServices({ config }: ServiceContext): ServicePart {
  const embedders = new EmbedderRegistry({ modelsDir: config.MODELS_DIR, allowRemote: config.MODELS_ALLOW_REMOTE });
  return {
    compile: { [EMBEDDERS_SERVICE]: embedders, [TREE_MODELS_SERVICE]: new TreeModelStore(config.MODELS_DIR) },
    providers: [createEmbeddingProvider(embedders, { batchSize: config.EMBEDDING_BATCH_SIZE, cacheSize: config.EMBEDDING_CACHE_SIZE })],
  };
}
