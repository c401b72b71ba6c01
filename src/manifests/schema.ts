import { z } from 'zod';
import { ModelEntrySchema } from '../core/model-entry.ts';
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

/** The manifest file, with the filter checked separately by the compiler against the operator registry. */
export const ManifestSchema = z.object({
  label: LabelSchema,
  filter: z.unknown(),
  models: z.array(ModelEntrySchema).default([]),
  author: AuthorSchema.optional(),
});

export type Manifest = z.infer<typeof ManifestSchema>;
export type Author = z.infer<typeof AuthorSchema>;
