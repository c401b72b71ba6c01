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

/** A `models[]` entry; the ML stage validates its feature modules when it compiles the manifest. */
export const ModelEntrySchema = z.looseObject({ model_name: z.string().min(1) });

/** The manifest file, with the filter checked separately by the compiler against the operator registry. */
export const ManifestSchema = z.object({
  label: LabelSchema,
  filter: z.unknown(),
  models: z.array(ModelEntrySchema).default([]),
  author: AuthorSchema.optional(),
});

export type Manifest = z.infer<typeof ManifestSchema>;
export type ModelEntry = z.infer<typeof ModelEntrySchema>;
