import { z } from 'zod';
import type { OperatorDefinition } from '../core/operator.ts';
import { TOXICITY_CLASSIFIER } from '../toxicity/classifier.ts';
import { compileComparison, ComparatorSchema, type Comparator } from './compare.ts';

/** Graze's other classes come from a multi-label model; the local model is trained on one label. */
const GRAZE_ONLY_CLASSES = ['Identity Hate', 'Insult', 'Obscene', 'Severe Toxicity', 'Threat'];

const ClassSchema = z.literal('Toxic', {
  error: (issue) =>
    GRAZE_ONLY_CLASSES.includes(String(issue.input))
      ? `toxicity_analysis: ${JSON.stringify(issue.input)} is not available: skysift's local model scores one class, "Toxic" (insults, harassment, slurs, threats, dehumanising language or profanity aimed at a person or group)`
      : `unknown toxicity class ${JSON.stringify(issue.input)}: use "Toxic"`,
});

/**
 * `toxicity_analysis ["Toxic", cmp, threshold]`: the calibrated probability that the post is toxic, from
 * the local classifier of `models/toxicity/` (hashed n-grams distilled from a sentence-embedding teacher,
 * trained on labelled Bluesky posts; see its MODEL_CARD.md; with TOXICITY_CASCADE unsure posts also
 * consult sentence embeddings). It reads what Graze's operator reads: the text, image alt texts and
 * the link card's title and description. The probability is the leaf's score.
 */
export const toxicity_analysis: OperatorDefinition<['Toxic', Comparator, number]> = {
  name: 'toxicity_analysis',
  args: z.tuple([ClassSchema, ComparatorSchema, z.number().min(0).max(1)]),
  cost: 20,
  compile([, comparator, threshold], env) {
    const classifier = env.services.require(TOXICITY_CLASSIFIER, 'toxicity_analysis needs the toxicity classifier service (models/toxicity), which is not running');
    const compare = compileComparison(comparator, threshold);
    return (post, context) => {
      const score = classifier.score(post, context);
      if (typeof score !== 'number') return { pending: [score] };
      return { matched: compare({ many: false, value: score }), score, inputs: { class: 'Toxic' } };
    };
  },
};
