import { z } from 'zod';
import { compileComparison, ComparatorSchema, ThresholdSchema } from './compare.ts';
import { leaf, type OperatorDefinition } from '../core/operator.ts';
import { compilePath, PathSchema, shown } from './path.ts';

const Args = z.tuple([
  PathSchema,
  ComparatorSchema,
  ThresholdSchema.meta({
    title: 'value',
    description: 'What to compare with: a string, number, boolean or null, or a list for in/not_in. Numbers and numeric-looking strings compare numerically; null and "" both mean "empty".',
  }),
]);

/** `attribute_compare [path, comparator, value]`. */
export const attribute_compare: OperatorDefinition<z.infer<typeof Args>> = {
  name: 'attribute_compare',
  description:
    'Compares the value at `path` with `value`. A missing value, null and "" are alike ("empty"); against a numeric value an empty one counts as 0 (so `["metrics.likes", "<", 10]` also matches posts without metrics: add `["metrics.likes", "!=", null]` to exclude them). Over several values (a `[*]` path, or a path whose value is a list such as "langs") the comparison means "any value", and `!=`/`not_in` mean "no value"; an empty list counts as one empty value. Against an empty threshold (null or ""), every ordering comparator tests for an empty value, as in Graze.',
  examples: [
    { args: ['embed', '==', null], means: 'a text-only post (no embed)' },
    { args: ['text', '==', null], means: 'a post with empty text' },
    { args: ['langs', 'in', ['en', 'en-US']], means: 'one of the declared languages is en or en-US' },
    { args: ['facets[*].features[*].$type', '==', 'app.bsky.richtext.facet#link'], means: 'the post has a link facet' },
    { args: ['metrics.likes', '>=', 100], means: 'a feed-synced post with at least 100 likes' },
  ],
  graze:
    'Graze evaluates a batch of posts as one numpy array: a list-valued path without [*] (e.g. `["langs", "in", ["en"]]`) gives answers that depend on the other posts of the batch, and [*] rows are padded with "" to the longest row (so `== ""` matches the shorter ones). skysift compares each post alone, a list meaning "any element". `in` lists may hold null or "" to match empty values (in Graze only a list that is exactly [null] does).',
  args: Args,
  profiles: true,
  cost: 1,
  pure: true,
  compile([path, comparator, value]) {
    const values = compilePath(path);
    const compare = compileComparison(comparator, value);
    return leaf(
      (post) => {
        const resolved = values.read(post);
        return { matched: compare(resolved), inputs: { value: shown(resolved) } };
      },
      { input: values, decide: compare },
    );
  },
};
