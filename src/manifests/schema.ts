import { z } from 'zod';
import { ModelEntrySchema } from '../core/model-entry.ts';
import { ParamsSchema } from '../evaluate/params.ts';
import { ActorSchema } from '../social/sets.ts';
import { LabelSchema } from './label.ts';
import { strictObject } from './strict.ts';

/** A secret is named, never written inline: an environment variable or a file outside the repo. */
export const SecretRefSchema = z.union([z.object({ env: z.string().min(1) }).strict(), z.object({ file: z.string().min(1) }).strict()]);

/** The account whose view of the network a manifest's social sets are fetched with (blocks and private lists differ per viewer). */
export const AuthorSchema = strictObject({
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

/** How an account label is aggregated from its posts (see docs/account-labels.md). */
export const AggregateSchema = strictObject({
  minPosts: z.number().int().min(1).meta({ description: 'The account needs at least this many posts seen within the window before the label can apply.' }),
  share: z.number().gt(0, 'share is a fraction in (0, 1], e.g. 0.5').max(1, 'share is a fraction in (0, 1], e.g. 0.5').meta({ description: 'The label holds while at least this fraction of those posts match the filter (0.5 = half).' }),
  windowDays: z.number().gt(0, 'windowDays must be positive').max(365, 'windowDays is at most 365').meta({ description: 'The window: posts seen in the last this many days count; older ones age out.' }),
}).meta({ title: 'aggregate', description: 'Label the account from its posts: the filter decides each post, the label holds while enough of the recent ones match.' });

export type Aggregate = z.infer<typeof AggregateSchema>;

/** The manifest file, with the filter checked separately by the compiler against the operator registry. */
export const ManifestSchema = strictObject(
  {
    $schema: z.string().optional().meta({ description: "The manifest JSON Schema, for editors (e.g. \"../docs/manifest.schema.json\"); ignored by skysift." }),
    label: LabelSchema,
    subject: z
      .enum(['post', 'account'])
      .default('post')
      .meta({
        description:
          'What is labelled: "post" (each post the filter matches) or "account" (the author, uri = its DID). An account manifest decides on the profile (display name, description), or, with "aggregate", on the share of recent posts the filter matches.',
      }),
    aggregate: AggregateSchema.optional(),
    filter: z.unknown().meta({ description: 'When the label applies: one condition, usually an "and" or "or" of several (see Logic and Operators).' }),
    models: z.array(ModelEntrySchema).default([]).meta({ description: 'Tree models used by model_probability, with the features they read.' }),
    author: AuthorSchema.optional().meta({ description: 'The account whose view of the network social sets are read with.' }),
    params: ParamsSchema.default({}),
  },
  {
    comment: 'JSON has no comments: put notes in a filter node\'s "metadata", e.g. {"regex_any": [...], "metadata": {"note": "..."}}',
    description: 'a label\'s description goes in label.locales: [{"lang": "en", "name": "...", "description": "..."}]',
    name: 'the label value goes in label.value, its display name in label.locales',
  },
);

export type Manifest = z.infer<typeof ManifestSchema>;
export type Author = z.infer<typeof AuthorSchema>;
