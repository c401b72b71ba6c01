import { z } from 'zod';
import { DEFAULT_EMBEDDER } from '../models/embedders/embedder.ts';
import { ActorSchema } from '../social/sets.ts';
import { LabelSchema } from './label.ts';

/** A secret is named, never written inline: an environment variable or a file outside the repo. */
export const SecretRefSchema = z.union([z.object({ env: z.string().min(1) }).strict(), z.object({ file: z.string().min(1) }).strict()]);

/** The account whose view of the network a manifest's social sets are fetched with (blocks and private lists differ per viewer). */
export const AuthorSchema = z.strictObject({
  /** Handle or DID to log in with; a DID keeps the cache key of its sets stable across handle changes. */
  handle: ActorSchema,
  password: z.union(SecretRefSchema.options, {
    error: (issue) =>
      typeof issue.input === 'string'
        ? 'plaintext password: write {"env": "NAME"} or {"file": "path"} and keep the secret outside the manifest'
        : 'password must be {"env": "NAME"} or {"file": "path"}',
  }),
  /** The account's PDS, which proxies app.bsky.* reads to its AppView with the account's credentials. */
  service: z.url({ protocol: /^https?$/ }).default('https://bsky.social'),
});

/** One block of a tree model's input, concatenated in the entry's order (see `src/models/features.ts`). */
export const FeatureModuleSchema = z.discriminatedUnion(
  'type',
  [z.strictObject({ type: z.literal('time_features') }), z.strictObject({ type: z.literal('vectorizer'), model_name: z.string().min(1).default(DEFAULT_EMBEDDER) }), z.strictObject({ type: z.literal('post_metadata') })],
  { error: (issue) => (issue.code === 'invalid_union' ? 'unknown feature module type: use time_features, vectorizer or post_metadata' : undefined) },
);

/** A `models[]` entry: the tree model stored under `MODELS_DIR/<model_name>/` and the features it reads. */
export const ModelEntrySchema = z.strictObject({ model_name: z.string().min(1), feature_modules: z.array(FeatureModuleSchema).min(1) });

/** The manifest file, with the filter checked separately by the compiler against the operator registry. */
export const ManifestSchema = z.object({
  label: LabelSchema,
  filter: z.unknown(),
  models: z.array(ModelEntrySchema).default([]),
  author: AuthorSchema.optional(),
});

export type Manifest = z.infer<typeof ManifestSchema>;
export type Author = z.infer<typeof AuthorSchema>;
export type ModelEntry = z.infer<typeof ModelEntrySchema>;
export type FeatureModule = z.infer<typeof FeatureModuleSchema>;
