import { z } from 'zod';
import { cosine, DEFAULT_EMBEDDER } from '../models/embedders/embedder.ts';
import type { EmbedderRegistry } from '../models/embedders/registry.ts';
import { embeddingRequest } from '../models/embedding-provider.ts';
import { EMBEDDERS_SERVICE } from '../services/ml.ts';
import { ComparatorSchema, compileComparison } from './compare.ts';
import type { FeatureRequest, OperatorDefinition } from './operator.ts';
import { compilePath, PathSchema } from './path.ts';

const TextSimilarityArgs = z.tuple([PathSchema, z.strictObject({ anchor_text: z.string().min(1), model_name: z.string().min(1).default(DEFAULT_EMBEDDER) }), ComparatorSchema, z.number()]);

/** The embedding registry, or a clear compile error where the ML services are not opened. */
export function embeddersOf(services: ReadonlyMap<string, unknown>): EmbedderRegistry {
  const registry = services.get(EMBEDDERS_SERVICE) as EmbedderRegistry | undefined;
  if (!registry) throw new Error('no embedding service is available here');
  return registry;
}

/**
 * `text_similarity [path, {anchor_text, model_name}, cmp, threshold]`: cosine similarity between the
 * text at `path` and the anchor, both embedded by the named model (`skysift-static-v1` when none is named). The anchor is embedded once at
 * compile time; post texts are features, embedded in batches. Over a `[*]` path each text is scored.
 */
export const text_similarity: OperatorDefinition<z.infer<typeof TextSimilarityArgs>> = {
  name: 'text_similarity',
  args: TextSimilarityArgs,
  cost: 1000,
  async compile([path, { anchor_text, model_name }, comparator, threshold], env) {
    const embedder = await embeddersOf(env.services).resolve(model_name);
    const [anchor] = await embedder.embed([anchor_text]);
    const compare = compileComparison(comparator, threshold);
    const resolve = compilePath(path);
    return (post, context) => {
      const resolved = resolve(post);
      const texts = (resolved.many ? resolved.values : [resolved.value]).filter((v): v is string => typeof v === 'string' && v !== '');
      const pending: FeatureRequest[] = [];
      const scores: number[] = [];
      for (const text of texts) {
        const request = embeddingRequest(model_name, text);
        const vector = context.feature(request.provider, request.key) as Float32Array | undefined;
        if (vector) scores.push(cosine(anchor!, vector));
        else pending.push(request);
      }
      if (pending.length) return { pending };
      const matched = compare(resolved.many ? { many: true, values: scores } : { many: false, value: scores[0] ?? null });
      const inputs = { model: model_name, anchor: anchor_text };
      return scores.length ? { matched, inputs, score: Math.max(...scores) } : { matched, inputs };
    };
  },
};
