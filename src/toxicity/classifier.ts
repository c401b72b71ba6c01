import type { ConsolidatedPost } from '../consolidate/post.ts';
import { featureKind, type FeatureProvider, type FeatureRequest } from '../core/features.ts';
import type { EvaluationContext } from '../core/operator.ts';
import { provide, serviceKey, type ServiceContext, type ServicePart } from '../core/services.ts';
import { embeddingRequest } from '../models/embedding-provider.ts';
import { ownText } from '../political/context.ts';
import { embeddersOf, modeInferenceProvider, type Mode, type ModeInput } from '../political/model.ts';
import { loadToxicityModel } from './load.ts';
import { classifyToxicity, wantsQuality, type ToxicityModel } from './model.ts';

/** A post's toxicity probability, or why it could not be computed (the leaf is then undecided). */
export type ToxicityOutcome = number | { error: string };

/** What one inference reads: the mode and that mode's input. */
export interface ToxicityInput extends ModeInput {
  mode: Mode;
}

/** The probability of one mode on one input: the classifier's inference, as a feature so that it runs batched, on evaluation threads when there are any. */
export const TOXICITY_SCORE = featureKind<ToxicityInput, ToxicityOutcome>('toxicity-score');

const toxicityRequest = (input: ToxicityInput): FeatureRequest<ToxicityInput, ToxicityOutcome> => ({ kind: TOXICITY_SCORE, key: `${input.mode}\u0000${input.text}`, input });

/** Computes `toxicity-score`. */
export const toxicityScoreProvider = (model: ToxicityModel): FeatureProvider<ToxicityInput, ToxicityOutcome> => modeInferenceProvider(TOXICITY_SCORE, model, classifyToxicity, 'toxicity');

/** The compile-time service `toxicity_analysis` looks up. */
export interface ToxicityClassifier {
  /** The calibrated probability that the post (its text with its link card and image alt texts, as Graze reads it) is toxic (or why there is none), or the features still needed. */
  score(post: ConsolidatedPost, context: EvaluationContext): ToxicityOutcome | FeatureRequest[];
}

export const TOXICITY_CLASSIFIER = serviceKey<ToxicityClassifier>('toxicity-classifier');

/**
 * Each inference is a `toxicity-score` feature (see toxicityScoreProvider), so a batch's posts are scored together,
 * on the evaluation threads when there are any; a per-post memo lets every manifest's leaves share it. In quality
 * mode, posts whose default probability lies inside the band wait for their sentence embedding (the shared, batched
 * and cached `embedding` provider) and get the quality mode's answer.
 */
export function createToxicityClassifier(model: ToxicityModel, mode: Mode): ToxicityClassifier {
  const memo = new WeakMap<ConsolidatedPost, ToxicityOutcome>();
  const quality = mode === 'quality' ? model.quality : undefined;
  return {
    score(post, context) {
      const known = memo.get(post);
      if (known !== undefined) return known;
      const text = ownText(post.record);
      const fastRequest = toxicityRequest({ mode: 'default', text });
      const fast = context.feature(fastRequest);
      if (fast === undefined) return [fastRequest];
      if (typeof fast !== 'number' || !quality || !wantsQuality(quality, fast)) {
        memo.set(post, fast);
        return fast;
      }
      const embedders = embeddersOf(quality.features);
      const requests = embedders.map((embedder) => embeddingRequest(embedder, text));
      const vectors = requests.map((request) => context.feature(request));
      const missing = requests.filter((_, i) => !vectors[i]);
      if (missing.length) return missing;
      const qualityRequest = toxicityRequest({ mode: 'quality', text, embeddings: new Map(embedders.map((name, i) => [name, vectors[i]!])) });
      const score = context.feature(qualityRequest);
      if (score === undefined) return [qualityRequest];
      memo.set(post, score);
      return score;
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
  return { compile: [provide(TOXICITY_CLASSIFIER, createToxicityClassifier(model, mode))], providers: [toxicityScoreProvider(model)] };
}
