import { z } from 'zod';
import type { FeatureRequest } from '../core/features.ts';
import type { OperatorDefinition } from '../core/operator.ts';
import type { CompileServices } from '../core/services.ts';
import { cosine, DEFAULT_EMBEDDER } from '../models/embedders/embedder.ts';
import { EMBEDDERS, type EmbedderRegistry } from '../models/embedders/registry.ts';
import { embeddingRequest } from '../models/embedding-provider.ts';
import { ComparatorSchema, compileComparison } from './compare.ts';
import { compilePath, PathSchema } from './path.ts';

const TextSimilarityArgs = z.tuple([
  PathSchema.meta({ title: 'path', description: 'The text to embed, usually "text"; over a list each element is scored.' }),
  z
    .strictObject({
      anchor_text: z.string().min(1).meta({ title: 'anchor_text', description: 'The text posts are compared with.' }),
      model_name: z
        .string()
        .min(1)
        .default(DEFAULT_EMBEDDER)
        .meta({ title: 'model_name', description: 'The sentence-embedding model: skysift-static-v1 (the default, shipped), universal-sentence-encoder (shipped) or a transformers.js model in MODELS_DIR.' }),
    })
    .meta({ title: 'anchor', description: '{"anchor_text": ..., "model_name": ...}' }),
  ComparatorSchema,
  z.number().meta({ title: 'threshold', description: 'A cosine similarity, from -1 to 1.' }),
]);

/** The embedding registry, or a clear compile error where the ML services are not opened. */
export function embeddersOf(services: CompileServices): EmbedderRegistry {
  return services.require(EMBEDDERS, 'no embedding service is available here');
}

/**
 * `text_similarity [path, {anchor_text, model_name}, cmp, threshold]`: cosine similarity between the
 * text at `path` and the anchor, both embedded by the named model (`skysift-static-v1` when none is named). The anchor is embedded once at
 * compile time; post texts are features, embedded in batches. Over a `[*]` path each text is scored.
 */
export const text_similarity: OperatorDefinition<z.infer<typeof TextSimilarityArgs>> = {
  name: 'text_similarity',
  description:
    'The cosine similarity between the sentence embeddings (mean-pooled, normalised) of the text at `path` and of the anchor text, compared with `threshold`. The anchor is embedded once when the manifest loads; post texts in batches, each once per model. An empty text has no score (it does not match).',
  examples: [{ args: ['text', { anchor_text: 'breaking news headlines', model_name: 'universal-sentence-encoder' }, '>=', 0.4], means: 'the text reads like a news headline' }],
  graze:
    'Graze reads `path` as a top-level key only and scores an empty text; skysift resolves any path and gives an empty text no score. `model_name` must name an embedding model skysift has (no silent fallback to another).',
  args: TextSimilarityArgs,
  profiles: true,
  cost: 1000,
  async compile([path, { anchor_text, model_name }, comparator, threshold], env) {
    const embedder = await embeddersOf(env.services).resolve(model_name);
    const [anchor] = await embedder.embed([anchor_text]);
    const compare = compileComparison(comparator, threshold);
    const values = compilePath(path);
    return (post, context) => {
      const resolved = values.read(post);
      const texts = resolved.filter((v): v is string => typeof v === 'string' && v !== '');
      const pending: FeatureRequest[] = [];
      const scores: number[] = [];
      for (const text of texts) {
        const request = embeddingRequest(model_name, text);
        const vector = context.feature(request);
        if (vector) scores.push(cosine(anchor!, vector));
        else pending.push(request);
      }
      if (pending.length) return { pending };
      const matched = scores.length > 0 && compare(scores);
      const inputs = { model: model_name, anchor: anchor_text };
      return scores.length ? { matched, inputs, score: Math.max(...scores) } : { matched, inputs };
    };
  },
};
