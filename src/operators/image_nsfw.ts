import { z } from 'zod';
import type { OperatorDefinition } from '../core/operator.ts';
import { IMAGE_NSFW } from '../images/analyzer.ts';
import { classScore, IMAGE_CLASSES, type ImageClass } from '../images/nsfw-classes.ts';
import { imageRefs } from '../images/refs.ts';
import { IMAGE_ANALYZER } from '../images/service.ts';
import { compileComparison, ComparatorSchema, type Comparator } from './compare.ts';
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
  args: z.tuple([ClassSchema, ComparatorSchema, z.number().min(0).max(1)]),
  // A download and a convolutional network per image: far above any text leaf.
  cost: 5000,
  compile([cls, comparator, threshold], env) {
    env.services.require(IMAGE_ANALYZER, 'image_nsfw needs the images capability, which is not running here');
    const compare = compileComparison(comparator, threshold);
    const test = (score: number) => compare({ many: false, value: score });
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
