import fs from 'node:fs';
import path from 'node:path';
import { serviceKey } from '../../core/services.ts';
import { STATIC_EMBEDDER, UNIVERSAL_SENTENCE_ENCODER, type Embedder } from './embedder.ts';

/** Short names manifests use for Hugging Face models; any other name is taken as a hub id or a folder under the models directory. */
export const HUB_IDS: Readonly<Record<string, string>> = { 'all-MiniLM-L6-v2': 'Xenova/all-MiniLM-L6-v2' };

export class EmbedderUnavailableError extends Error {
  override name = 'EmbedderUnavailableError';
}

export interface EmbedderRegistryOptions {
  modelsDir: string;
  allowRemote: boolean;
}

/** The compile-time service the embedding operators look up. */
export const EMBEDDERS = serviceKey<EmbedderRegistry>('embedders');
/** Embedders that ship with skysift (in the repo or an npm package): always available, never downloaded. */
export const BUILT_IN_EMBEDDERS: readonly string[] = [STATIC_EMBEDDER, UNIVERSAL_SENTENCE_ENCODER];

/**
 * Resolves a manifest's `model_name` to one shared embedder, opened once per process:
 * `skysift-static-v1` is the static table shipped in `models/`, `universal-sentence-encoder` the offline
 * model shipped in npm; other names are transformers.js models found under the models directory, or
 * downloaded there when remote loading is allowed.
 */
export class EmbedderRegistry {
  readonly #opened = new Map<string, Promise<Embedder>>();

  constructor(readonly options: EmbedderRegistryOptions) {}

  resolve(name: string): Promise<Embedder> {
    let embedder = this.#opened.get(name);
    if (!embedder) {
      embedder = this.#open(name);
      // A failed open is not remembered: the model may be pulled while the service runs.
      embedder.catch(() => this.#opened.delete(name));
      this.#opened.set(name, embedder);
    }
    return embedder;
  }

  /** The local folder holding a transformers.js model of this name, if any. */
  localFolder(name: string): string | undefined {
    const ids = [name, HUB_IDS[name]].filter((id): id is string => !!id);
    return ids.find((id) => fs.existsSync(path.join(this.options.modelsDir, id, 'config.json')));
  }

  async #open(name: string): Promise<Embedder> {
    // The model runtimes are imported on first use: tfjs and onnxruntime cost about 100 MB each, which a
    // service without ML manifests should not carry.
    if (name === STATIC_EMBEDDER) return (await import('./static.ts')).openStaticEmbedder();
    if (name === UNIVERSAL_SENTENCE_ENCODER) return (await import('./universal-sentence-encoder.ts')).openUniversalSentenceEncoder();
    const local = this.localFolder(name);
    const { modelsDir, allowRemote } = this.options;
    if (!local && !allowRemote) {
      const where = [name, HUB_IDS[name]]
        .filter(Boolean)
        .map((id) => path.join(modelsDir, id!, ''))
        .join(' or ');
      throw new EmbedderUnavailableError(
        `embedding model "${name}" is not installed (looked in ${where}): fetch it once with "MODELS_ALLOW_REMOTE=true skysift models pull ${name}", ` +
          `or use one that ships with skysift: ${BUILT_IN_EMBEDDERS.map((n) => `"${n}"`).join(' or ')}`,
      );
    }
    const id = local ?? HUB_IDS[name] ?? name;
    try {
      return await (await import('./transformers.ts')).openTransformersEmbedder(name, id, { modelsDir, allowRemote });
    } catch (error) {
      const from = local ? path.join(modelsDir, local) : `the Hugging Face hub (${id})`;
      throw new EmbedderUnavailableError(`embedding model "${name}" could not be loaded from ${from}: ${(error as Error).message}`);
    }
  }
}
