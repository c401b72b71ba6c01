import { z } from 'zod';
import type { OperatorDefinition } from '../core/operator.ts';
import { LLM_CLASSIFIER, LLM_FEATURE, textHash } from '../llm/classifier.ts';
import type { Classification } from '../llm/prompt.ts';
import { CATEGORIES, type Category } from '../political/model.ts';
import { compileComparison, ComparatorSchema, type Comparator } from './compare.ts';

/** 1 when the LLM put the post in the category, else 0: `sociopolitical` reads is_sociopolitical, the others political_ideology. */
export function categoryScore(answer: Classification, category: Category): number {
  return (category === 'sociopolitical' ? answer.is_sociopolitical : answer.political_ideology === category) ? 1 : 0;
}

/**
 * `llm_classification [sociopolitical|left|right|moderate|unclear, cmp, threshold]`: the political
 * classification of `political`, answered by an OpenAI-compatible chat model (LLM_BASE_URL). The
 * post's text is a pending `llm` feature, so a batch's posts go out together; a failed call makes the
 * leaf undecided, never true or false.
 */
export const llm_classification: OperatorDefinition<[Category, Comparator, number | string]> = {
  name: 'llm_classification',
  description:
    "Asks an OpenAI-compatible chat model (LLM_BASE_URL, LLM_MODEL) the research pipeline's two questions about the post: is it sociopolitical, and its US political lean. The category scores 1 or 0. Posts go out in batches and answers are cached; a call that keeps failing leaves the manifest undecided on the post (no label change). Without LLM_BASE_URL a manifest using it is rejected at load.",
  examples: [{ args: ['sociopolitical', '==', 1], means: 'the LLM judges the post political or about a social issue' }],
  graze: 'Not a Graze operator.',
  args: z.tuple([
    z
      .enum(CATEGORIES, { error: (issue) => `unknown category ${JSON.stringify(issue.input)}: use one of ${CATEGORIES.join(', ')}` })
      .meta({ title: 'category', description: 'sociopolitical (is the post about politics or social issues), or its lean: left, right, moderate, unclear.' }),
    ComparatorSchema,
    z.union([z.number(), z.string()]).meta({ title: 'threshold', description: 'The score is 1 when the LLM put the post in the category, else 0: compare with == 1.' }),
  ]),
  // Far above any local leaf: a request to a remote model, paid per token.
  profiles: true,
  cost: 10_000,
  compile([category, comparator, threshold], env) {
    env.services.require(LLM_CLASSIFIER, 'llm_classification needs an LLM endpoint: set LLM_BASE_URL and LLM_MODEL (and LLM_API_KEY if the endpoint wants one)');
    const compare = compileComparison(comparator, threshold);
    return (post, context) => {
      const text = post.record.text;
      const request = { kind: LLM_FEATURE, key: textHash(text), input: text };
      const answer = context.feature(request);
      if (answer === undefined) return { pending: [request] };
      if ('error' in answer) return { undecided: `llm_classification: ${answer.error}` };
      const score = categoryScore(answer, category);
      return { matched: compare([score]), score, inputs: answer };
    };
  },
};
