import type { Embedder } from '../../models/embedders/embedder.ts';
import type { SparseVector } from '../../political/features.ts';
import { dot, featureVector, layoutSize, type FeatureBlock, type ModeInput } from '../../political/model.ts';
import { groupPosts, normaliseText, partOf, readPool, type Post } from '../../political/train/data.ts';
import { EmbeddingCache } from '../../models/train/embedding-cache.ts';
import { binaryMetrics, calibrationError, reliabilityBins, rocAuc } from '../../political/train/evaluate.ts';
import { DEFAULT_FIT_OPTIONS, fitLogistic, fitPlatt, type FitOptions } from '../../political/train/fit.ts';
import { asStoredToxicity, cascadeToxicity, classifyToxicity, wantsQuality, type ToxicityMode } from '../model.ts';
import { readDavidson, readToxicLabelled, type ToxicPost } from './data.ts';
import { averagePrecision, bootstrapInterval } from './metrics.ts';

export interface TrainToxicityOptions {
  /** The political data directory: `bluesky_labeled.jsonl` (with its `toxic` label) and `bluesky_pool.jsonl`. */
  dataDir: string;
  /** Davidson et al.'s `labeled_data.csv`: rated tweets the n-gram candidates may learn from too. */
  davidsonFile?: string;
  /** Where sentence embeddings are kept between runs. */
  cacheDir: string;
  /** The quality mode's sentence encoder (the Universal Sentence Encoder), also the teacher's. */
  openEmbedder: () => Promise<Embedder>;
  splitSeed?: number;
  bits?: number;
  fit?: FitOptions;
  log?: (line: string) => void;
}

export const SPLIT_SEED = 2027;
/** Bands of default-mode probability inside which quality mode consults the encoder, narrowest first; chosen on validation. */
const BANDS = [
  { low: 0.1, high: 0.5 },
  { low: 0.05, high: 0.7 },
  { low: 0.02, high: 0.9 },
  { low: 0, high: 1 },
];
/** Dense embeddings learn best with smaller, longer steps than sparse n-grams (as in the political trainer). */
const DENSE_FIT: Partial<FitOptions> = { learningRate: 0.1, epochs: 40 };
/** Candidate thresholds for the one the model card quotes: the best F1 on validation. */
const THRESHOLDS = Array.from({ length: 18 }, (_, i) => Math.round((0.05 + i * 0.05) * 100) / 100);

/** A text to learn from besides the labelled posts: a rated tweet or a teacher's soft answer, with its weight. */
interface Extra {
  text: string;
  target: number;
  weight: number;
}

interface Candidate {
  name: string;
  features: FeatureBlock[];
  fit: FitOptions;
  davidson?: boolean;
  distilled?: boolean;
}

/**
 * The whole training run: the labelled Bluesky posts split by group (author, thread, near-duplicate text; the political
 * trainer's grouping), so no author is on two sides; a quality mode over n-grams and sentence embeddings, which also
 * teaches; a fast n-gram default mode, with or without Davidson's tweets and the teacher's answers on the unlabelled
 * pool posts of training groups; each chosen on validation average precision; every number reported on the untouched
 * test posts, by the model as stored.
 */
export async function trainToxicity(options: TrainToxicityOptions) {
  const log = options.log ?? console.log;
  const bits = options.bits ?? 18;
  const splitSeed = options.splitSeed ?? SPLIT_SEED;
  const fit = options.fit ?? DEFAULT_FIT_OPTIONS;
  const labelled = readToxicLabelled(options.dataDir);
  const labelledIds = new Set(labelled.map((p) => p.id));
  const pool = readPool(options.dataDir).filter((p) => !labelledIds.has(p.id));
  const groups = groupPosts([...labelled, ...pool]);
  const part = (post: Post) => partOf(groups.get(post.id)!, splitSeed);
  const [train, validation, test] = (['train', 'validation', 'test'] as const).map((name) => labelled.filter((p) => part(p) === name)) as [ToxicPost[], ToxicPost[], ToxicPost[]];
  const unlabelled = pool.filter((p) => part(p) === 'train');
  const heldOutTexts = new Set([...validation, ...test].map((p) => normaliseText(p.text)));
  // No tweet (near-)duplicates a post that chooses, calibrates or is reported on.
  const tweets = options.davidsonFile ? readDavidson(options.davidsonFile).filter((t) => !heldOutTexts.has(normaliseText(t.text))) : [];
  const toxic = (posts: readonly ToxicPost[]) => posts.filter((p) => p.toxic).length;
  log(
    `Bluesky labelled ${labelled.length} (toxic ${toxic(labelled)}): train ${train.length} (${toxic(train)}), validation ${validation.length} (${toxic(validation)}), test ${test.length} (${toxic(test)}); unlabelled pool posts of training groups ${unlabelled.length}; Davidson tweets ${tweets.length}`,
  );

  const cache = new EmbeddingCache(options.cacheDir, await options.openEmbedder());
  const texts = [...labelled, ...unlabelled].map((p) => p.text);
  const embedded = await cache.ensure(texts, { progress: (done, total) => done % 640 === 0 && log(`  embedded ${done} of ${total}`) });
  log(`${cache.embedder.name} embeddings: ${embedded} computed, ${texts.length - embedded} from the cache`);
  const input = (text: string, features: readonly FeatureBlock[]): ModeInput => ({
    text,
    ...(features.some((b) => b.kind === 'embedding') && { embeddings: new Map([[cache.embedder.name, cache.get(text)]]) }),
  });
  const vector = (features: FeatureBlock[], text: string): SparseVector => featureVector(features, input(text, features));

  /** Class-balanced logistic regression over the training posts and `extra` texts, Platt-scaled on validation. */
  function fitToxicMode(features: FeatureBlock[], options: FitOptions, extra: readonly Extra[] = []): ToxicityMode {
    const rows = [...train.map((p) => ({ text: p.text, target: Number(p.toxic), weight: 1 })), ...extra];
    const linear = fitLogistic(
      rows.map((r) => vector(features, r.text)),
      rows.map((r) => r.target),
      layoutSize(features),
      options,
      rows.map((r) => r.weight),
    );
    const platt = fitPlatt(
      validation.map((p) => dot(linear.weights, vector(features, p.text), linear.bias)),
      validation.map((p) => p.toxic),
    );
    return { features, toxic: { ...linear, platt } };
  }
  const labels = (posts: readonly ToxicPost[]) => posts.map((p) => p.toxic);
  const probabilities = (mode: ToxicityMode, posts: readonly ToxicPost[]) => posts.map((p) => classifyToxicity(mode, input(p.text, mode.features)));
  const measure = (name: string, scoresOf: (posts: readonly ToxicPost[]) => number[]) => {
    const result = { name, validation: averagePrecision(scoresOf(validation), labels(validation)), test: averagePrecision(scoresOf(test), labels(test)) };
    log(`  ${name.padEnd(58)} validation AP ${result.validation.toFixed(3)}   (test AP ${result.test.toFixed(3)}, reported, never chosen on)`);
    return result;
  };
  const compare = (candidates: Candidate[], taught: readonly Extra[] = []) => {
    const fitted = candidates.map((candidate) => {
      const extra = [...(candidate.davidson ? tweets.map((t) => ({ text: t.text, target: t.toxic, weight: 1 })) : []), ...(candidate.distilled ? taught : [])];
      const mode = fitToxicMode(candidate.features, candidate.fit, extra);
      return { candidate, mode, ...measure(candidate.name, (posts) => probabilities(mode, posts)) };
    });
    // Chosen on validation; ties go to the earlier, simpler candidate. The test posts only report.
    return { fitted, chosen: fitted.reduce((best, f) => (f.validation > best.validation ? f : best)) };
  };

  const ngrams: FeatureBlock = { kind: 'ngrams', bits, scale: 1 };
  // Beside an embedding, full-length n-grams drown it out (the political trainer's finding); fewer buckets suffice there.
  const quietNgrams: FeatureBlock = { kind: 'ngrams', bits: Math.min(bits, 16), scale: 0.35 };
  const embedding: FeatureBlock = { kind: 'embedding', embedder: cache.embedder.name, dimensions: cache.embedder.dimensions };
  const denseFit = { ...fit, ...DENSE_FIT };
  const lighterL2 = { ...fit, l2: fit.l2 / 10 };

  log('\nquality-mode candidates (teacher of the default mode):');
  const quality = compare([
    { name: 'USE embedding', features: [embedding], fit: denseFit },
    { name: 'n-grams × 0.35 + USE', features: [quietNgrams, embedding], fit: denseFit },
  ]);
  const taught = unlabelled.map((p) => ({ text: p.text, target: classifyToxicity(quality.chosen.mode, input(p.text, quality.chosen.mode.features)), weight: 1 }));
  log('\ndefault-mode candidates (n-grams: labelled posts, Davidson tweets, the teacher on the unlabelled pool):');
  const fast = compare(
    [
      { name: 'n-grams, labelled posts', features: [ngrams], fit },
      ...(tweets.length
        ? [
            { name: 'n-grams + Davidson tweets', features: [ngrams], fit, davidson: true },
            { name: `n-grams + Davidson tweets, L2 ${lighterL2.l2}`, features: [ngrams], fit: lighterL2, davidson: true },
          ]
        : []),
      ...(unlabelled.length
        ? [
            { name: 'n-grams, distilled', features: [ngrams], fit, distilled: true },
            ...(tweets.length
              ? [
                  { name: 'n-grams + Davidson tweets, distilled', features: [ngrams], fit, davidson: true, distilled: true },
                  { name: `n-grams + Davidson tweets, distilled, L2 ${lighterL2.l2}`, features: [ngrams], fit: lighterL2, davidson: true, distilled: true },
                ]
              : []),
          ]
        : []),
    ],
    taught,
  );

  log('\nquality mode: the encoder only for posts whose default probability lies inside a band:');
  const defaultMode = fast.chosen.mode;
  const cascade = (qualityMode: ToxicityMode) => (posts: readonly ToxicPost[]) => posts.map((p) => cascadeToxicity({ default: defaultMode, quality: qualityMode }, input(p.text, qualityMode.features)));
  const bands = BANDS.map((band) => {
    const mode = { ...quality.chosen.mode, band };
    const share = test.filter((p) => wantsQuality(mode, classifyToxicity(defaultMode, { text: p.text }))).length / test.length;
    return { mode, share, ...measure(`band ${band.low}–${band.high} (encoder on ${(share * 100).toFixed(0)}% of test posts)`, cascade(mode)) };
  });
  const chosenBand = bands.reduce((best, b) => (b.validation > best.validation ? b : best));

  // What ships is what is measured: the weights as stored (quantised), the threshold from validation.
  const stored = asStoredToxicity({ default: defaultMode, quality: chosenBand.mode, threshold: 0.5 });
  const storedQuality = stored.quality!;
  const onValidation = probabilities(stored.default, validation);
  const threshold = THRESHOLDS.map((t) => ({ t, f1: binaryMetrics(onValidation, labels(validation), t).f1 })).reduce((best, c) => (c.f1 > best.f1 ? c : best)).t;
  const model = { ...stored, threshold };

  const report = (scores: number[]) => {
    const truth = labels(test);
    const interval = (statistic: 'precision' | 'recall') => bootstrapInterval(scores, truth, (p, l) => binaryMetrics(p, l, threshold)[statistic]);
    const reliability = reliabilityBins(scores, truth);
    return {
      averagePrecision: averagePrecision(scores, truth),
      rocAuc: rocAuc(scores, truth),
      atThreshold: { threshold, ...binaryMetrics(scores, truth, threshold), interval95: { precision: interval('precision'), recall: interval('recall') } },
      thresholds: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7].map((t) => ({ threshold: t, ...binaryMetrics(scores, truth, t) })),
      reliability,
      calibrationError: calibrationError(reliability),
    };
  };
  const reports = { default: report(probabilities(model.default, test)), quality: { ...report(cascade(storedQuality)(test)), encoderShare: chosenBand.share } };
  for (const [mode, r] of Object.entries(reports)) {
    log(`\n${mode.toUpperCase()} mode on ${test.length} held-out Bluesky posts (${toxic(test)} toxic): AP ${r.averagePrecision.toFixed(3)}, ROC AUC ${r.rocAuc.toFixed(3)}, calibration error ${r.calibrationError.toFixed(3)}`);
    log(`  at the validation-chosen threshold ${threshold}: ${JSON.stringify(r.atThreshold)}`);
  }

  const metrics = {
    splitSeed,
    bits,
    fit,
    sizes: { labelled: labelled.length, toxic: toxic(labelled), train: train.length, validation: validation.length, test: test.length, testToxic: toxic(test), unlabelled: unlabelled.length, davidsonTweets: tweets.length },
    candidates: {
      quality: quality.fitted.map(({ candidate, mode, ...measured }) => measured),
      default: fast.fitted.map(({ candidate, mode, ...measured }) => measured),
      bands: bands.map(({ mode, ...measured }) => ({ band: mode.band, ...measured })),
    },
    chosen: { default: fast.chosen.candidate.name, quality: `${quality.chosen.candidate.name}, band ${chosenBand.mode.band.low}–${chosenBand.mode.band.high}`, threshold },
    test: reports,
  };
  return { model, metrics };
}
