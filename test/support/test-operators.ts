import { z } from 'zod';
import type { ConsolidatedPost } from '../../src/consolidate/post.ts';
import { featureKind, type FeatureProvider } from '../../src/core/features.ts';
import { leaf, type OperatorDefinition } from '../../src/core/operator.ts';

/** The test feature: a text's length, or `{error}` when its provider fails. */
export const LENGTH = featureKind<string, number | { error: string }>('length');

/**
 * Operators for exercising the compiler alone: a cheap text check and an "expensive" one that needs a
 * feature (it fails, `{error}` and the leaf undecided, for texts containing FAIL); and `has_word`, a
 * pure leaf with a fast path that counts how often it is decided and how often explained.
 */
export function testRegistry() {
  const calls = { contains: 0, scored: 0, provider: 0, inputs: [] as unknown[], decided: 0, explained: 0 };
  const contains: OperatorDefinition<[string]> = {
    name: 'contains',
    description: 'The text contains the needle.',
    examples: [{ args: ['vote'], means: 'the text contains "vote"' }],
    args: z.tuple([z.string().min(1)]),
    cost: 1,
    compile:
      ([needle]) =>
      (post) => {
        calls.contains++;
        return { matched: post.record.text.includes(needle), inputs: { needle } };
      },
  };
  const scored: OperatorDefinition<[number]> = {
    name: 'length_score_above',
    description: 'The text is longer than the threshold, as scored by the length feature.',
    examples: [{ args: [10], means: 'more than 10 characters' }],
    aliases: ['long_text'],
    args: z.tuple([z.number()]),
    cost: 100,
    compile:
      ([threshold]) =>
      (post, context) => {
        calls.scored++;
        const request = { kind: LENGTH, key: post.record.text, input: post.record.text };
        const score = context.feature(request);
        if (score === undefined) return { pending: [request] };
        if (typeof score === 'object') return { undecided: score.error };
        return { matched: score > threshold, score };
      },
  };
  const hasWord: OperatorDefinition<[string]> = {
    name: 'has_word',
    description: 'The text contains the word.',
    examples: [{ args: ['vote'], means: 'the text contains "vote"' }],
    args: z.tuple([z.string().min(1)]),
    cost: 1,
    pure: true,
    compile: ([word]) =>
      leaf(
        (post) => {
          calls.explained++;
          return { matched: post.record.text.includes(word), inputs: { word } };
        },
        {
          decide: (_, post) => {
            calls.decided++;
            return post.record.text.includes(word);
          },
        },
      ),
  };
  const provider: FeatureProvider<string, number | { error: string }> = {
    kind: LENGTH,
    async compute(inputs) {
      calls.provider++;
      calls.inputs.push(...inputs);
      return inputs.map((t) => (t.includes('FAIL') ? { error: 'length service failed' } : t.length));
    },
  };
  const registry = new Map<string, OperatorDefinition<any>>([
    ['contains', contains],
    ['length_score_above', scored],
    ['long_text', scored],
    ['has_word', hasWord],
  ]);
  return { registry, providers: new Map([['length', provider]]), calls };
}

export function post(text: string, n = 0): ConsolidatedPost {
  return {
    uri: `at://did:plc:test${n}/app.bsky.feed.post/${n}`,
    cid: `cid${n}`,
    author: { did: `did:plc:test${n}` },
    indexedAt: '2026-07-04T00:00:00.000Z',
    record: { text, createdAt: '2026-07-04T00:00:00.000Z' },
    source: { name: 'firehose', syncedAt: '2026-07-04T00:00:00.000Z' },
  };
}
