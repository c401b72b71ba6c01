import type { ConsolidatedPost } from '../consolidate/post.ts';
import type { FeatureRequest } from '../core/features.ts';
import type { EvaluationContext } from '../core/operator.ts';
import { provide, serviceKey, type ServiceContext, type ServicePart } from '../core/services.ts';
import { UNIVERSAL_SENTENCE_ENCODER } from '../models/embedders/embedder.ts';
import { embeddingRequest } from '../models/embedding-provider.ts';
import { featurize, type SparseVector } from './features.ts';
import { loadPoliticalModel } from './load.ts';
import { ngramProbability, scoreVector, wantsEmbedding, type PoliticalModel, type PoliticalScores } from './model.ts';

/** The compile-time service the `political` operator looks up: final scores, or the embedding the cascade still needs. */
export interface PoliticalClassifier {
  scores(post: ConsolidatedPost, context: EvaluationContext): PoliticalScores | FeatureRequest;
}

export const POLITICAL_CLASSIFIER = serviceKey<PoliticalClassifier>('political-classifier');

interface Memo {
  x: SparseVector;
  ngram: number;
  scores?: PoliticalScores;
}

/**
 * The n-gram model is well under a millisecond, so it runs inline; the memo lets every manifest's leaves share one
 * inference per post. With `cascade`, posts the n-gram model is unsure about wait for their sentence embedding
 * (the shared, batched and cached `embedding` provider) and get the mean of both models.
 */
export function createPoliticalClassifier(model: PoliticalModel, { cascade }: { cascade: boolean }): PoliticalClassifier {
  const memo = new WeakMap<ConsolidatedPost, Memo>();
  return {
    scores(post, context) {
      let entry = memo.get(post);
      if (!entry) {
        const x = featurize(post.record.text, model.bits);
        memo.set(post, (entry = { x, ngram: ngramProbability(model, x) }));
      }
      if (entry.scores) return entry.scores;
      if (!cascade || !wantsEmbedding(model, entry.ngram)) return (entry.scores = scoreVector(model, entry.x));
      const request = embeddingRequest(UNIVERSAL_SENTENCE_ENCODER, post.record.text);
      const embedding = context.feature(request);
      if (!embedding) return request;
      return (entry.scores = scoreVector(model, entry.x, embedding));
    },
  };
}

/** The political capability: the classifier of `models/political/`, loaded once. */
export function openPolitical(context: ServiceContext): ServicePart {
  const started = Date.now();
  const model = loadPoliticalModel(context.config.MODELS_DIR);
  const cascade = context.config.POLITICAL_CASCADE;
  if (cascade && model.embedding?.embedder !== UNIVERSAL_SENTENCE_ENCODER) throw new Error('POLITICAL_CASCADE needs a political model with a universal-sentence-encoder head');
  context.logger.debug({ ms: Date.now() - started, cascade }, 'political classifier loaded');
  return {
    // The cascade's embeddings come from the models capability's `embedding` provider.
    compile: [provide(POLITICAL_CLASSIFIER, createPoliticalClassifier(model, { cascade }))],
  };
}
