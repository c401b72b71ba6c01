import type { ConsolidatedPost } from '../consolidate/post.ts';
import type { FeatureRequest } from '../core/features.ts';
import type { EvaluationContext } from '../core/operator.ts';
import { provide, serviceKey, type ServiceContext, type ServicePart } from '../core/services.ts';
import { UNIVERSAL_SENTENCE_ENCODER } from '../models/embedders/embedder.ts';
import { embeddingRequest } from '../models/embedding-provider.ts';
import { featurize } from '../political/features.ts';
import { loadToxicityModel } from './load.ts';
import { combinedToxicity, ngramToxicity, wantsEmbedding, type ToxicityModel } from './model.ts';
import { toxicityText } from './text.ts';

/** The compile-time service `toxicity_analysis` looks up. */
export interface ToxicityClassifier {
  /** The calibrated probability that the post (text, image alt texts, link card) is toxic, or the embedding the cascade still needs. */
  score(post: ConsolidatedPost, context: EvaluationContext): number | FeatureRequest;
}

export const TOXICITY_CLASSIFIER = serviceKey<ToxicityClassifier>('toxicity-classifier');

interface Memo {
  text: string;
  ngram: number;
  score?: number;
}

/**
 * The n-gram model is well under a millisecond, so it runs inline; the memo lets every manifest's leaves share one
 * inference per post. With `cascade`, posts the n-gram model is unsure about wait for their sentence embedding
 * (the shared, batched and cached `embedding` provider) and get the mean of both models.
 */
export function createToxicityClassifier(model: ToxicityModel, { cascade }: { cascade: boolean }): ToxicityClassifier {
  const memo = new WeakMap<ConsolidatedPost, Memo>();
  return {
    score(post, context) {
      let entry = memo.get(post);
      if (!entry) {
        const text = toxicityText(post.record);
        memo.set(post, (entry = { text, ngram: ngramToxicity(model, featurize(text, model.bits)) }));
      }
      if (entry.score !== undefined) return entry.score;
      if (!cascade || !wantsEmbedding(model, entry.ngram)) return (entry.score = entry.ngram);
      const request = embeddingRequest(UNIVERSAL_SENTENCE_ENCODER, entry.text);
      const embedding = context.feature(request);
      if (!embedding) return request;
      return (entry.score = combinedToxicity(model, entry.ngram, embedding));
    },
  };
}

/** The toxicity capability: the classifier of `models/toxicity/`, loaded once. */
export function openToxicity({ config, logger }: ServiceContext): ServicePart {
  const started = Date.now();
  const model = loadToxicityModel(config.MODELS_DIR);
  const cascade = config.TOXICITY_CASCADE;
  if (cascade && model.embedding?.embedder !== UNIVERSAL_SENTENCE_ENCODER) throw new Error('TOXICITY_CASCADE needs a toxicity model with a universal-sentence-encoder head');
  logger.debug({ ms: Date.now() - started, cascade }, 'toxicity classifier loaded');
  // The cascade's embeddings come from the models capability's `embedding` provider.
  return { compile: [provide(TOXICITY_CLASSIFIER, createToxicityClassifier(model, { cascade }))] };
}
