import { createHash } from 'node:crypto';
import { featureKind, type FeatureProvider, type FeatureRequest } from '../core/features.ts';
import type { EmbedderRegistry } from './embedders/registry.ts';

export interface EmbeddingInput {
  model: string;
  text: string;
}

/** A text's sentence embedding by the named model. */
export const EMBEDDING = featureKind<EmbeddingInput, Float32Array>('embedding');

/** The feature request for a text's embedding: keyed by model and text hash, so every manifest shares one computation. */
export function embeddingRequest(model: string, text: string): FeatureRequest<EmbeddingInput, Float32Array> {
  return { kind: EMBEDDING, key: embeddingKey(model, text), input: { model, text } };
}

export function embeddingKey(model: string, text: string): string {
  return `${model}:${createHash('sha256').update(text).digest('base64url')}`;
}

/** A map that forgets its least recently used entries beyond a bound. */
export class LruCache<V> {
  readonly #entries = new Map<string, V>();

  constructor(readonly capacity: number) {}

  get size() {
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V) {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
  }
}

export interface EmbeddingProviderOptions {
  batchSize: number;
  cacheSize: number;
}

export interface EmbeddingProvider extends FeatureProvider<EmbeddingInput, Float32Array> {
  /** Texts actually sent to a model, per model name (cache misses), for metrics and tests. */
  embedded: Map<string, number>;
}

/**
 * Embeds the texts of one evaluation round: identical texts once, cached ones not at all, the rest
 * in micro-batches of `batchSize` per model.
 */
export function createEmbeddingProvider(registry: EmbedderRegistry, { batchSize, cacheSize }: EmbeddingProviderOptions): EmbeddingProvider {
  const cache = new LruCache<Float32Array>(cacheSize);
  const embedded = new Map<string, number>();
  return {
    kind: EMBEDDING,
    embedded,
    async compute(inputs) {
      const requests = inputs.map((input) => ({ ...input, key: embeddingKey(input.model, input.text) }));
      const fresh = new Map<string, Float32Array>();
      const missing = new Map<string, Map<string, string>>();
      for (const { model, text, key } of requests) {
        const cached = cache.get(key);
        if (cached) fresh.set(key, cached);
        else (missing.get(model) ?? missing.set(model, new Map()).get(model)!).set(key, text);
      }
      for (const [model, texts] of missing) {
        const embedder = await registry.resolve(model);
        // Similar lengths batch together: a batch is padded to its longest text.
        const entries = [...texts].sort((a, b) => a[1].length - b[1].length);
        for (let start = 0; start < entries.length; start += batchSize) {
          const chunk = entries.slice(start, start + batchSize);
          const vectors = await embedder.embed(chunk.map(([, text]) => text));
          chunk.forEach(([key], i) => {
            fresh.set(key, vectors[i]!);
            cache.set(key, vectors[i]!);
          });
        }
        embedded.set(model, (embedded.get(model) ?? 0) + entries.length);
      }
      return requests.map(({ key }) => fresh.get(key)!);
    },
  };
}
