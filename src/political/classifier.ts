import type { ConsolidatedPost } from '../consolidate/post.ts';
import type { ServiceContext, ServicePart } from '../services/index.ts';
import { loadPoliticalModel, SHIPPED_MODELS_DIR } from './load.ts';
import { classify, type PoliticalModel, type PoliticalScores } from './model.ts';

export const POLITICAL_SERVICE = 'political-classifier';

/** The compile-time service the `political` operator looks up. */
export interface PoliticalClassifier {
  scores(post: ConsolidatedPost): PoliticalScores;
}

/** Inference is well under a millisecond, so it runs inline; the memo lets every manifest's leaves share one inference per post. */
export function createPoliticalClassifier(model: PoliticalModel): PoliticalClassifier {
  const memo = new WeakMap<ConsolidatedPost, PoliticalScores>();
  return {
    scores(post) {
      let scores = memo.get(post);
      if (!scores) memo.set(post, (scores = classify(model, post.record.text)));
      return scores;
    },
  };
}

let shipped: PoliticalClassifier | undefined;

/** The committed model, loaded once per process: what compilation uses when no services were opened (e.g. `loadManifests` alone in tests and tools). */
export function shippedPoliticalClassifier(): PoliticalClassifier {
  return (shipped ??= createPoliticalClassifier(loadPoliticalModel(SHIPPED_MODELS_DIR)));
}

export function politicalServicePart(context: ServiceContext): ServicePart {
  const started = Date.now();
  const classifier = createPoliticalClassifier(loadPoliticalModel(context.config.MODELS_DIR));
  context.logger.debug({ ms: Date.now() - started }, 'political classifier loaded');
  return { compile: { [POLITICAL_SERVICE]: classifier } };
}
