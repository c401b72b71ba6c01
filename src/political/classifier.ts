import type { ConsolidatedPost } from '../consolidate/post.ts';
import { featureKind, type FeatureProvider, type FeatureRequest } from '../core/features.ts';
import type { EvaluationContext } from '../core/operator.ts';
import { provide, serviceKey, type ServiceContext, type ServicePart } from '../core/services.ts';
import { embeddingRequest } from '../models/embedding-provider.ts';
import { PostStore } from '../store/posts.ts';
import { answeredPostProvider, answeredPostRequest } from './context-provider.ts';
import { answeredUri, ownText } from './context.ts';
import { loadPoliticalModel } from './load.ts';
import { classify, embeddersOf, modeInferenceProvider, type FeatureBlock, type Mode, type ModeInput, type PoliticalModel, type PoliticalScores, wantsQuality } from './model.ts';

/** A post's political scores, or why they could not be computed (the leaf is then undecided). */
export type PoliticalOutcome = PoliticalScores | { error: string };

/** What one inference reads: the mode, and that mode's input (own text, answered text, embeddings). */
export interface PoliticalInput extends ModeInput {
  mode: Mode;
}

/** The scores of one mode on one input: the classifier's inference, as a feature so that it runs batched, on evaluation threads when there are any. */
export const POLITICAL_SCORES = featureKind<PoliticalInput, PoliticalOutcome>('political-scores');

function politicalRequest(input: PoliticalInput): FeatureRequest<PoliticalInput, PoliticalOutcome> {
  return { kind: POLITICAL_SCORES, key: `${input.mode}\u0000${input.context ?? ''}\u0001${input.text}`, input };
}

/** Computes `political-scores`. */
export const politicalScoresProvider = (model: PoliticalModel): FeatureProvider<PoliticalInput, PoliticalOutcome> => modeInferenceProvider(POLITICAL_SCORES, model, classify, 'political');

/** The compile-time service the `political` operator looks up: final scores (or why there are none), or the features still needed. */
export interface PoliticalClassifier {
  readonly mode: Mode;
  scores(post: ConsolidatedPost, context: EvaluationContext): PoliticalOutcome | FeatureRequest[];
}

export const POLITICAL_CLASSIFIER = serviceKey<PoliticalClassifier>('political-classifier');

export interface ClassifierOptions {
  mode: Mode;
  /** Whether the answered post's text can be looked up (the service's post store); without it, replies are read alone. */
  lookUpContext: boolean;
}

/**
 * Scores a post in the chosen mode. Default: the fast model over the post's own text (with its link card and alt
 * text) and, for a reply or quote, the text of the post it answers when the post store has it (a local lookup through
 * the `answered-post` provider, never the network). Quality: posts the default model is unsure about also wait for
 * their sentence embedding. Embeddings come from the shared, batched, cached `embedding` provider, and each inference
 * is a `political-scores` feature (see politicalScoresProvider), so a batch's posts are scored together, on the
 * evaluation threads when there are any. A per-post memo lets every manifest's leaves share one inference.
 */
export function createPoliticalClassifier(model: PoliticalModel, { mode, lookUpContext }: ClassifierOptions): PoliticalClassifier {
  const quality = mode === 'quality' ? model.quality : undefined;
  if (mode === 'quality' && !quality) throw new Error('POLITICAL_MODE=quality needs a political model with a quality mode');
  const wantsContext = [model.default, ...(quality ? [quality] : [])].some((m) => m.features.some((b) => b.kind === 'context-ngrams'));
  const memo = new WeakMap<ConsolidatedPost, PoliticalOutcome>();
  /** The embeddings a mode needs for `text`, or the requests for those not computed yet. */
  const embeddingsFor = (features: readonly FeatureBlock[], text: string, context: EvaluationContext): Map<string, Float32Array> | FeatureRequest[] => {
    const requests = embeddersOf(features).map((embedder) => embeddingRequest(embedder, text));
    const vectors = requests.map((r) => context.feature(r));
    const missing = requests.filter((_, i) => !vectors[i]);
    return missing.length ? missing : new Map(embeddersOf(features).map((name, i) => [name, vectors[i]!]));
  };
  /** The scores of `input` in one mode, or the request for them. */
  const inferred = (input: PoliticalInput, context: EvaluationContext): PoliticalOutcome | FeatureRequest[] => {
    const request = politicalRequest(input);
    return context.feature(request) ?? [request];
  };
  return {
    mode,
    scores(post, context) {
      const known = memo.get(post);
      if (known) return known;
      const input: ModeInput = { text: ownText(post.record) };
      const pending: FeatureRequest[] = [];
      const uri = wantsContext && lookUpContext ? answeredUri(post.record) : undefined;
      if (uri) {
        const request = answeredPostRequest(uri);
        const answered = context.feature(request);
        if (answered === undefined) pending.push(request);
        else if (answered) input.context = answered;
      }
      // A default mode with an embedding block (a fast static embedder) asks for it together with the parent.
      const fastEmbeddings = embeddingsFor(model.default.features, input.text, context);
      if (Array.isArray(fastEmbeddings)) return [...pending, ...fastEmbeddings];
      if (pending.length) return pending;
      const fast = inferred({ mode: 'default', ...input, ...(fastEmbeddings.size > 0 && { embeddings: fastEmbeddings }) }, context);
      if (Array.isArray(fast)) return fast;
      if ('error' in fast || !quality || !wantsQuality(quality, fast.sociopolitical)) {
        memo.set(post, fast);
        return fast;
      }
      const embeddings = embeddingsFor(quality.features, input.text, context);
      if (Array.isArray(embeddings)) return embeddings;
      const scores = inferred({ mode: 'quality', ...input, embeddings }, context);
      if (!Array.isArray(scores)) memo.set(post, scores);
      return scores;
    },
  };
}

/** The political capability: the classifier of `models/political/`, loaded once, and the answered-post provider. */
export function openPolitical(context: ServiceContext): ServicePart {
  const started = Date.now();
  const model = loadPoliticalModel(context.config.MODELS_DIR);
  const mode = context.config.POLITICAL_MODE;
  const lookUpContext = context.db !== undefined;
  const classifier = createPoliticalClassifier(model, { mode, lookUpContext });
  context.logger.debug({ ms: Date.now() - started, mode, lookUpContext }, 'political classifier loaded');
  return {
    // Embeddings come from the models capability's `embedding` provider.
    compile: [provide(POLITICAL_CLASSIFIER, classifier)],
    providers: [politicalScoresProvider(model), ...(context.db ? [answeredPostProvider(new PostStore(context.db))] : [])],
  };
}
