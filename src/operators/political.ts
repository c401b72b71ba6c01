import { z } from 'zod';
import { leaf, type OperatorDefinition } from '../core/operator.ts';
import { POLITICAL_CLASSIFIER } from '../political/classifier.ts';
import { CATEGORIES } from '../political/model.ts';
import { compileComparison, ComparatorSchema, ProbabilityThresholdSchema } from './compare.ts';

const CategorySchema = z.enum(CATEGORIES, { error: (issue) => `unknown political category ${JSON.stringify(issue.input)}: use one of ${CATEGORIES.join(', ')}` });

/**
 * `political [category, comparator, threshold]`: the calibrated probability that the post is
 * sociopolitical, or P(lean | sociopolitical) × P(sociopolitical) for left/right/moderate/unclear,
 * from the `political-classifier` service (MODELS_DIR; POLITICAL_MODE chooses the fast default or the quality mode,
 * and a reply or quote is read with the post it answers when the store has it). The probability is the leaf's score.
 */
export const political: OperatorDefinition<[z.infer<typeof CategorySchema>, z.infer<typeof ComparatorSchema>, number]> = {
  name: 'political',
  description:
    "The calibrated probability, from the local classifier in models/political, that the post is sociopolitical (about politics: government, elections, politicians, activism; or a social issue affecting many people), or for left/right/moderate/unclear P(lean | sociopolitical) × P(sociopolitical). The default mode runs on every post at firehose speed; POLITICAL_MODE=quality asks a sentence encoder about the posts it is unsure of. The probability is the leaf's score. See models/political/MODEL_CARD.md.",
  examples: [
    { args: ['sociopolitical', '>=', 0.33], means: 'political at the threshold chosen out of fold on the development posts (the shipped manifest)' },
    { args: ['left', '>=', 0.4], means: 'political and left-leaning with probability at least 0.4 (the shipped political-left manifest)' },
  ],
  graze: 'Not a Graze operator.',
  args: z.tuple([
    CategorySchema.meta({ title: 'category', description: 'sociopolitical, left, right, moderate or unclear.' }),
    ComparatorSchema,
    ProbabilityThresholdSchema,
  ]),
  profiles: true,
  cost: 20,
  pure: true,
  compile([category, comparator, threshold], env) {
    const classifier = env.services.require(POLITICAL_CLASSIFIER, 'political needs the political classifier service (models/political), which is not running');
    const compare = compileComparison(comparator, threshold);
    return leaf(
      (post, context) => {
        const scores = classifier.scores(post, context);
        if (Array.isArray(scores)) return { pending: scores };
        if ('error' in scores) return { undecided: `political: ${scores.error}` };
        const score = scores[category];
        return { matched: compare([score]), score, inputs: { category, ...scores } };
      },
      {
        decide: (_, post, context) => {
          const scores = classifier.scores(post, context);
          if (Array.isArray(scores)) return { pending: scores };
          return 'error' in scores ? { undecided: `political: ${scores.error}` } : compare([scores[category]]);
        },
      },
    );
  },
};
