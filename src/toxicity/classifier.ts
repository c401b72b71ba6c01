import type { ConsolidatedPost } from '../consolidate/post.ts';
import type { FeatureRequest } from '../core/features.ts';
import type { EvaluationContext } from '../core/operator.ts';
import { provide, serviceKey, type ServiceContext, type ServicePart } from '../core/services.ts';
import { embeddingRequest } from '../models/embedding-provider.ts';
import { ownText } from '../political/context.ts';
import { embeddersOf, type Mode } from '../political/model.ts';
import { loadToxicityModel } from './load.ts';
import { classifyToxicity, wantsQuality, type ToxicityModel } from './model.ts';

/** The compile-time service `toxicity_analysis` looks up. */
export interface ToxicityClassifier {
  /** The calibrated probability that the post (its text with its link card and image alt texts, as Graze reads it) is toxic, or the embeddings quality mode still needs. */
  score(post: ConsolidatedPost, context: EvaluationContext): number | FeatureRequest[];
}

export const TOXICITY_CLASSIFIER = serviceKey<ToxicityClassifier>('toxicity-classifier');

interface Memo {
  text: string;
  fast: number;
  score?: number;
}

/**
 * The default mode is well under a millisecond, so it runs inline; the memo lets every manifest's leaves share one
 * inference per post. In quality mode, posts whose default probability lies inside the band wait for their sentence
 * embedding (the shared, batched and cached `embedding` provider) and get the quality mode's answer.
 */
export function createToxicityClassifier(model: ToxicityModel, mode: Mode): ToxicityClassifier {
  const memo = new WeakMap<ConsolidatedPost, Memo>();
  const quality = mode === 'quality' ? model.quality : undefined;
  return {
    score(post, context) {
      let entry = memo.get(post);
      if (!entry) {
        const text = ownText(post.record);
        memo.set(post, (entry = { text, fast: classifyToxicity(model.default, { text }) }));
      }
      if (entry.score !== undefined) return entry.score;
      if (!quality || !wantsQuality(quality, entry.fast)) return (entry.score = entry.fast);
      const embedders = embeddersOf(quality.features);
      const requests = embedders.map((embedder) => embeddingRequest(embedder, entry.text));
      const vectors = requests.map((request) => context.feature(request));
      const missing = requests.filter((_, i) => !vectors[i]);
      if (missing.length) return missing;
      return (entry.score = classifyToxicity(quality, { text: entry.text, embeddings: new Map(embedders.map((name, i) => [name, vectors[i]!])) }));
    },
  };
}

/** The toxicity capability: the classifier of `models/toxicity/`, loaded once, in TOXICITY_MODE. */
export function openToxicity({ config, logger }: ServiceContext): ServicePart {
  const started = Date.now();
  const model = loadToxicityModel(config.MODELS_DIR);
  const mode = config.TOXICITY_MODE;
  if (mode === 'quality' && !model.quality) throw new Error('TOXICITY_MODE=quality needs a toxicity model with a quality mode');
  logger.debug({ ms: Date.now() - started, mode }, 'toxicity classifier loaded');
  // Quality mode's embeddings come from the models capability's `embedding` provider.
  return { compile: [provide(TOXICITY_CLASSIFIER, createToxicityClassifier(model, mode))] };
}
