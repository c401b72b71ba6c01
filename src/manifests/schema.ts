import { z } from 'zod';
import { LabelSchema } from './label.ts';

/** A secret is named, never written inline: an environment variable or a file outside the repo. */
export const SecretRefSchema = z.union([z.object({ env: z.string().min(1) }).strict(), z.object({ file: z.string().min(1) }).strict()]);

export const AuthorSchema = z.looseObject({
  password: z
    .unknown()
    .optional()
    .superRefine((value, ctx) => {
      if (value === undefined) return;
      if (typeof value === 'string') {
        ctx.addIssue({ code: 'custom', message: 'plaintext password: write {"env": "NAME"} or {"file": "path"} and keep the secret outside the manifest' });
      } else if (!SecretRefSchema.safeParse(value).success) {
        ctx.addIssue({ code: 'custom', message: 'password must be {"env": "NAME"} or {"file": "path"}' });
      }
    }),
});

/** One block of a tree model's input, concatenated in the entry's order (see `src/models/features.ts`). */
export const FeatureModuleSchema = z.discriminatedUnion(
  'type',
  [z.strictObject({ type: z.literal('time_features') }), z.strictObject({ type: z.literal('vectorizer'), model_name: z.string().min(1) }), z.strictObject({ type: z.literal('post_metadata') })],
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
export type ModelEntry = z.infer<typeof ModelEntrySchema>;
export type FeatureModule = z.infer<typeof FeatureModuleSchema>;
