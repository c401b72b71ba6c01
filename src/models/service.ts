import { provide, type ServiceContext, type ServicePart } from '../core/services.ts';
import { EMBEDDERS, EmbedderRegistry } from './embedders/registry.ts';
import { createEmbeddingProvider } from './embedding-provider.ts';
import { TREE_MODELS, TreeModelStore } from './tree-models.ts';

/** The models capability: embedding models and tree models, shared by every manifest; embeddings computed by one batched, cached provider. */
export function openModels({ config }: ServiceContext): ServicePart {
  const embedders = new EmbedderRegistry({ modelsDir: config.MODELS_DIR, allowRemote: config.MODELS_ALLOW_REMOTE });
  return {
    compile: [provide(EMBEDDERS, embedders), provide(TREE_MODELS, new TreeModelStore(config.MODELS_DIR))],
    providers: [createEmbeddingProvider(embedders, { batchSize: config.EMBEDDING_BATCH_SIZE, cacheSize: config.EMBEDDING_CACHE_SIZE })],
  };
}
