import { createHash } from 'node:crypto';
import { featureKind, type FeatureProvider, type FeatureRequest } from '../core/features.ts';
import type { EmbedderRegistry } from './embedders/registry.ts';

export interface EmbeddingInput {
  model: string;
  text: string;
}

/** A text's sentence embedding by the named model. */
export const EMBEDDING = featureKind<EmbeddingInput, Float32Array>('embedding');

/** The feature request for a text's embedding: keyed by model and text, so every manifest shares one computation. */
export function embeddingRequest(model: string, text: string): FeatureRequest<EmbeddingInput, Float32Array> {
  return { kind: EMBEDDING, key: embeddingKey(model, text), input: { model, text } };
}

/** Texts longer than this are keyed by a digest, so that a cached entry's key never outweighs its vector. */
const LONGEST_PLAIN_KEY = 512;

/**
 * The model and the text itself: the runtime hashes a string key once, where a digest of every text cost more
 * than the static embedder's whole embedding. Only a long text (rare in posts) is keyed by its SHA-256.
 */
export function embeddingKey(model: string, text: string): string {
  return text.length <= LONGEST_PLAIN_KEY ? `${model}\u0000${text}` : `${model}\u0001${createHash('sha256').update(text).digest('base64url')}`;
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
  const cache = cacheSize > 0 ? new LruCache<Float32Array>(cacheSize) : undefined;
  const embedded = new Map<string, number>();
  return {
    kind: EMBEDDING,
    embedded,
    async compute(inputs) {
      const out = new Array<Float32Array>(inputs.length);
      const keys = cache && inputs.map(({ model, text }) => embeddingKey(model, text));
      // Per model, each text to embed and its first position; later positions of the same text copy it.
      const missing = new Map<string, Map<string, number>>();
      const repeats: number[] = [];
      for (let i = 0; i < inputs.length; i++) {
        const cached = cache?.get(keys![i]!);
        if (cached) {
          out[i] = cached;
          continue;
        }
        const { model, text } = inputs[i]!;
        let texts = missing.get(model);
        if (!texts) missing.set(model, (texts = new Map()));
        const first = texts.get(text);
        if (first === undefined) texts.set(text, i);
        else repeats.push(i, first);
      }
      for (const [model, texts] of missing) {
        const embedder = await registry.resolve(model);
        // Similar lengths batch together: a batch is padded to its longest text.
        const positions = [...texts.values()].sort((a, b) => inputs[a]!.text.length - inputs[b]!.text.length);
        for (let start = 0; start < positions.length; start += batchSize) {
          const chunk = positions.slice(start, start + batchSize);
          const vectors = await embedder.embed(chunk.map((i) => inputs[i]!.text));
          for (let k = 0; k < chunk.length; k++) {
            out[chunk[k]!] = vectors[k]!;
            cache?.set(keys![chunk[k]!]!, vectors[k]!);
          }
        }
        embedded.set(model, (embedded.get(model) ?? 0) + positions.length);
      }
      for (let r = 0; r < repeats.length; r += 2) out[repeats[r]!] = out[repeats[r + 1]!]!;
      return out;
    },
  };
}
