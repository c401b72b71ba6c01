import { loadConfig } from '../../config.ts';
import { BUILT_IN_EMBEDDERS, EmbedderRegistry } from '../../models/embedders/registry.ts';
import type { Command } from '../command.ts';

export const modelsPull: Command = {
  name: 'models pull',
  summary: 'Download an embedding model from the Hugging Face hub into MODELS_DIR (needs MODELS_ALLOW_REMOTE=true), for air-gapped runs and Docker images.',
  usage: 'models pull <model-name>',
  positionals: { min: 1, max: 1 },
  async run({ positionals }) {
    const name = positionals[0]!;
    const config = loadConfig();
    const registry = new EmbedderRegistry({ modelsDir: config.MODELS_DIR, allowRemote: config.MODELS_ALLOW_REMOTE });
    const local = registry.localFolder(name);
    if (!BUILT_IN_EMBEDDERS.includes(name) && !local && !config.MODELS_ALLOW_REMOTE) {
      console.error(`models pull downloads from the Hugging Face hub: set MODELS_ALLOW_REMOTE=true to allow it (nothing was downloaded)`);
      return 1;
    }
    try {
      const embedder = await registry.resolve(name);
      console.log(`${name}: ready in ${config.MODELS_DIR} (${embedder.dimensions} dimensions)`);
      return 0;
    } catch (error) {
      console.error((error as Error).message);
      return 1;
    }
  },
};
