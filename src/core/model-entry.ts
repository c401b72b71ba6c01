import { z } from 'zod';

/** The embedding model a manifest gets when it names none (`text_similarity`, `vectorizer`): the static table shipped in `models/`. */
export const DEFAULT_EMBEDDER = 'skysift-static-v1';

/** One block of a tree model's input, concatenated in the entry's order (built by `src/models/features.ts`). */
export const FeatureModuleSchema = z.discriminatedUnion(
  'type',
  [z.strictObject({ type: z.literal('time_features') }), z.strictObject({ type: z.literal('vectorizer'), model_name: z.string().min(1).default(DEFAULT_EMBEDDER) }), z.strictObject({ type: z.literal('post_metadata') })],
  { error: (issue) => (issue.code === 'invalid_union' ? 'unknown feature module type: use time_features, vectorizer or post_metadata' : undefined) },
);

/** A manifest's `models[]` entry: the tree model stored under `MODELS_DIR/<model_name>/` and the features it reads. */
export const ModelEntrySchema = z.strictObject({ model_name: z.string().min(1), feature_modules: z.array(FeatureModuleSchema).min(1) });

export type ModelEntry = z.infer<typeof ModelEntrySchema>;
export type FeatureModule = z.infer<typeof FeatureModuleSchema>;
