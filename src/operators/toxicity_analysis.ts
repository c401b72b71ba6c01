import { z } from 'zod';
import type { OperatorDefinition } from '../core/operator.ts';
import { TOXICITY_CLASSIFIER } from '../toxicity/classifier.ts';
import { compileComparison, ComparatorSchema, ProbabilityThresholdSchema, type Comparator } from './compare.ts';

/** Graze's other classes come from a multi-label model; the local model is trained on one label. */
const GRAZE_ONLY_CLASSES = ['Identity Hate', 'Insult', 'Obscene', 'Severe Toxicity', 'Threat'];

const ClassSchema = z.enum(['Toxic'], {
  error: (issue) =>
    GRAZE_ONLY_CLASSES.includes(String(issue.input))
      ? `toxicity_analysis: ${JSON.stringify(issue.input)} is not available: skysift's local model scores one class, "Toxic" (insults, harassment, slurs, threats, dehumanising language or profanity aimed at a person or group)`
      : `unknown toxicity class ${JSON.stringify(issue.input)}: use "Toxic"`,
});

/**
 * `toxicity_analysis ["Toxic", cmp, threshold]`: the calibrated probability that the post is toxic, from
 * the local classifier of `models/toxicity/` (hashed n-grams distilled from a sentence-embedding teacher,
 * trained on labelled Bluesky posts; see its MODEL_CARD.md; in TOXICITY_MODE=quality unsure posts also
 * consult sentence embeddings). It reads what Graze's operator reads: the text, image alt texts and
 * the link card's title and description. The probability is the leaf's score.
 */
export const toxicity_analysis: OperatorDefinition<['Toxic', Comparator, number]> = {
  name: 'toxicity_analysis',
  description:
    "The calibrated probability, from the local classifier in models/toxicity, that the post is toxic: insults, harassment, slurs, threats, dehumanising language or profanity aimed at a person or group. It reads the post's text, its images' alt texts and its link card's title and description. The default mode runs on every post at firehose speed; TOXICITY_MODE=quality asks a sentence encoder about the posts it is unsure of. The probability is the leaf's score. See models/toxicity/MODEL_CARD.md for precision and recall by threshold.",
  examples: [
    { args: ['Toxic', '>=', 0.5], means: 'likely toxic' },
    { args: ['Toxic', '<', 0.3], means: 'unlikely to be toxic: a feed filter' },
  ],
  graze:
    'Graze runs unitary/toxic-bert, with the classes Toxic, Severe Toxicity, Obscene, Threat, Insult and Identity Hate; skysift trains its own model on one label, Toxic, and rejects the other classes at load. Scores differ from toxic-bert\'s, so thresholds tuned on Graze may need adjusting.',
  args: z.tuple([
    ClassSchema.meta({ title: 'class', description: 'Toxic (the one class of the local model).' }),
    ComparatorSchema,
    ProbabilityThresholdSchema,
  ]),
  profiles: true,
  cost: 20,
  compile([, comparator, threshold], env) {
    const classifier = env.services.require(TOXICITY_CLASSIFIER, 'toxicity_analysis needs the toxicity classifier service (models/toxicity), which is not running');
    const compare = compileComparison(comparator, threshold);
    return (post, context) => {
      const score = classifier.score(post, context);
      if (Array.isArray(score)) return { pending: score };
      if (typeof score !== 'number') return { undecided: `toxicity_analysis: ${score.error}` };
      return { matched: compare([score]), score, inputs: { class: 'Toxic' } };
    };
  },
};
