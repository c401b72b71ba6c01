import { z } from 'zod';
import type { OperatorDefinition } from '../core/operator.ts';
import { IMAGE_NSFW } from '../images/analyzer.ts';
import { classScore, IMAGE_CLASSES, type ImageClass } from '../images/nsfw-classes.ts';
import { imageRefs } from '../images/refs.ts';
import { IMAGE_ANALYZER } from '../images/service.ts';
import { compileComparison, ComparatorSchema, ProbabilityThresholdSchema, type Comparator } from './compare.ts';
import { failedImages, imageFeatures } from './images.ts';

const ClassSchema = z.enum(IMAGE_CLASSES, { error: (issue) => `unknown image class ${JSON.stringify(issue.input)}: use one of ${IMAGE_CLASSES.join(', ')}` });

/**
 * `image_nsfw [class, cmp, threshold]`: the post's score is the highest probability of `class` among
 * its images (its images embed, or a quote's media), scored by nsfwjs's MobileNetV2; NSFW is
 * Porn + Hentai + Sexy, SFW the rest. A post without images scores 0, so `["NSFW", "<=", t]` keeps it
 * (as in Graze) and `["NSFW", ">=", t]` never labels it (Graze would match every comparison). An
 * image that could not be downloaded or read leaves the leaf undecided, unless the other images
 * already decide it (a score only rises with more images).
 */
export const image_nsfw: OperatorDefinition<[ImageClass, Comparator, number]> = {
  name: 'image_nsfw',
  description:
    "The highest probability of `class` among the post's images (its images embed, or a quote's media), from nsfwjs's MobileNetV2 run locally. NSFW is Porn + Hentai + Sexy, SFW is Neutral + Drawing. A post without images scores 0. Images are downloaded from IMAGE_CDN_URL and their scores cached by blob CID; an image that cannot be read leaves the manifest undecided on the post (no label change) unless the other images already decide it. The probability is the leaf's score.",
  examples: [
    { args: ['NSFW', '>=', 0.8], means: 'an image is explicit or suggestive with probability at least 0.8 (posts without images never match)' },
    { args: ['NSFW', '<=', 0.3], means: 'no image is likely NSFW (posts without images match): a feed filter' },
    { args: ['Porn', '>=', 0.7], means: 'an image is likely explicit, suggestive ones aside' },
  ],
  graze:
    "Graze scores images with another model (Falconsai/nsfw_image_detection, classes NSFW and SFW), so thresholds tuned on Graze may need adjusting; skysift adds the model's five classes. Graze answers true for a post without images whatever the comparison; skysift scores it 0, which agrees for <, <= and != but never labels a text-only post through >, >= or ==. Graze treats an image it could not fetch as absent; skysift leaves the leaf undecided.",
  args: z.tuple([
    ClassSchema.meta({ title: 'class', description: 'NSFW or SFW (as in Graze), or one of the model classes Drawing, Hentai, Neutral, Porn, Sexy.' }),
    ComparatorSchema,
    ProbabilityThresholdSchema,
  ]),
  // A download and a convolutional network per image: far above any text leaf.
  cost: 5000,
  compile([cls, comparator, threshold], env) {
    env.services.require(IMAGE_ANALYZER, 'image_nsfw needs the images capability, which is not running here');
    const compare = compileComparison(comparator, threshold);
    const test = (score: number) => compare([score]);
    return (post, context) => {
      const refs = imageRefs(post);
      if (!refs.length) return { matched: test(0), score: 0, inputs: { class: cls, images: [] } };
      const features = imageFeatures(refs, IMAGE_NSFW, context);
      if ('pending' in features) return features;
      const { results, failures } = features;
      const images = results.map(({ cid, value }) => ({ cid, score: classScore(value, cls) }));
      const score = images.length ? Math.max(...images.map((i) => i.score)) : undefined;
      // More images can only raise the score: a match that survives a higher score (>, >=) or a miss that does (<, <=) is certain.
      const certain = (s: number) => ((comparator === '>' || comparator === '>=') && test(s)) || ((comparator === '<' || comparator === '<=') && !test(s));
      if (score === undefined || (failures.length && !certain(score))) return { undecided: failedImages('image_nsfw', failures, refs.length) };
      const failed = failures.map((f) => ({ cid: f.cid, error: f.value.error }));
      return { matched: test(score), score, inputs: { class: cls, images, ...(failed.length && { failed }) } };
    };
  },
};
