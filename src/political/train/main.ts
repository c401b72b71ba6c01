import { UNIVERSAL_SENTENCE_ENCODER, type Embedder } from '../../models/embedders/embedder.ts';
import { classify, wantsQuality, type FeatureBlock, type Lean, type ModeInput, type ModeModel, type PoliticalModel, type PoliticalScores } from '../model.ts';
import fs from 'node:fs';
import path from 'node:path';
import { LLM_LABELLED_FILE, MET_SYNTHETIC_FILE, readLabelled, readLlmLabelled, readMetSynthetic, readPool, sourceRepo, splitBluesky, type LabelledPost, type Post } from './data.ts';
import { EmbeddingCache } from './embedding-cache.ts';
import { binaryMetrics, chooseThreshold, majorityLean } from './evaluate.ts';
import { DEFAULT_FIT_OPTIONS, type FitOptions } from './fit.ts';
import { fitMode, teach, type RecipeSettings } from './recipe.ts';
import { heldOutReport, printReport, variantLine } from './report.ts';
import { readThreadContext } from './threads.ts';

export interface TrainPoliticalOptions {
  dataDir: string;
  /** The Epistemic-Threats CSVs that link replies to their parents; without them no post has context. */
  threadsDir?: string;
  /** Where teacher embeddings are kept between runs. */
  cacheDir: string;
  /** The quality mode's sentence encoder (the Universal Sentence Encoder in production; tests may pass the same). */
  openEmbedder: () => Promise<Embedder>;
  splitSeed?: number;
  bits?: number;
  fit?: FitOptions;
  /** The recall the validation-chosen threshold must reach. */
  minRecall?: number;
  log?: (line: string) => void;
}

export const SPLIT_SEED = 2026;
/** Bands of default-mode probability inside which quality mode consults the encoder; chosen on validation. */
const BANDS = [
  { low: 0.2, high: 0.8 },
  { low: 0.1, high: 0.9 },
  { low: 0.05, high: 0.95 },
  { low: 0, high: 1 },
];

interface Variant {
  name: string;
  features: FeatureBlock[];
  distilled: boolean;
  fit: FitOptions;
}

/** Dense embeddings learn best with smaller, longer steps than sparse n-grams (chosen by grouped cross-validation on the training and validation posts). */
const DENSE_FIT: Partial<FitOptions> = { learningRate: 0.1, epochs: 40 };

/**
 * The whole training run: Bluesky labelled posts split by group (author, thread, near-duplicate text); a teacher over
 * n-grams and sentence embeddings; a fast n-gram student distilled from it over the unlabelled pool posts of training
 * groups; each mode chosen among variants on validation accuracy; every number reported on the untouched test split.
 */
export async function trainPolitical(options: TrainPoliticalOptions) {
  const log = options.log ?? console.log;
  const bits = options.bits ?? 18;
  const splitSeed = options.splitSeed ?? SPLIT_SEED;
  const fit = options.fit ?? DEFAULT_FIT_OPTIONS;
  const minRecall = options.minRecall ?? 0.85;
  const context = options.threadsDir ? readThreadContext(options.threadsDir) : new Map<string, string>();
  const labelled = readLabelled(options.dataDir, context);
  const split = splitBluesky(labelled, readPool(options.dataDir, context), splitSeed);
  log(`Bluesky labelled ${labelled.length}: train ${split.train.length}, validation ${split.validation.length}, test ${split.test.length}; unlabelled pool posts of training groups ${split.unlabelled.length}; posts with a known parent ${labelled.filter((p) => p.context).length}`);

  const cache = new EmbeddingCache(options.cacheDir, await options.openEmbedder());
  const everyPost: Post[] = [...labelled, ...split.unlabelled];
  const texts = [...everyPost.map((p) => p.text)];
  const embedded = await cache.ensure(texts, { progress: (done, total) => done === total && log(`embedded ${total} new texts`) });
  log(`${cache.embedder.name} embeddings: ${embedded} computed, ${texts.length - embedded} from the cache`);
  const input = (post: Post): ModeInput => ({ text: post.text, context: post.context, embeddings: new Map([[cache.embedder.name, cache.get(post.text)]]) });
  const settings: RecipeSettings = { input, options: fit, minRecall };

  const ngrams: FeatureBlock = { kind: 'ngrams', bits, scale: 1 };
  // Beside an embedding, full-length n-grams drown it out (cross-validated accuracy 0.880 against 0.911 at 0.35).
  const quietNgrams: FeatureBlock = { kind: 'ngrams', bits, scale: 0.35 };
  const contextNgrams: FeatureBlock = { kind: 'context-ngrams', bits: Math.min(bits, 16), scale: 0.5 };
  const embedding: FeatureBlock = { kind: 'embedding', embedder: cache.embedder.name, dimensions: cache.embedder.dimensions };
  const score = (mode: ModeModel, posts: readonly Post[]) => posts.map((p) => classify(mode, input(p)));
  const accuracyOn = (mode: ModeModel, posts: readonly LabelledPost[], scores = score(mode, posts)) =>
    binaryMetrics(
      scores.map((s) => s.sociopolitical),
      posts.map((p) => p.sociopolitical),
      mode.threshold,
    );

  const compare = (variants: Variant[], teacher?: ModeModel) => {
    const distilled = teacher ? teach(teacher, split.unlabelled, input) : [];
    const fitted = variants.map((variant) => {
      const mode = fitMode(variant.features, split.train, split.validation, { ...settings, options: variant.fit }, variant.distilled ? distilled : []);
      const validation = accuracyOn(mode, split.validation);
      const test = accuracyOn(mode, split.test);
      log(variantLine(variant.name, validation, test));
      return { variant, mode, validation, test };
    });
    // Chosen on validation accuracy; ties go to the earlier, simpler variant. The test split only reports.
    return { fitted, chosen: fitted.reduce((best, f) => (f.validation.accuracy > best.validation.accuracy ? f : best)) };
  };

  log('\nquality-mode candidates (teacher of the default mode):');
  const denseFit = { ...fit, ...DENSE_FIT };
  const quality = compare([
    { name: 'USE embedding', features: [embedding], distilled: false, fit: denseFit },
    { name: 'n-grams × 0.35 + USE', features: [quietNgrams, embedding], distilled: false, fit: denseFit },
    { name: 'n-grams × 0.35 + parent n-grams × 0.5 + USE', features: [quietNgrams, contextNgrams, embedding], distilled: false, fit: denseFit },
  ]);
  log('\ndefault-mode candidates:');
  const fast = compare(
    [
      { name: 'n-grams, labelled posts only', features: [ngrams], distilled: false, fit },
      { name: 'n-grams, distilled', features: [ngrams], distilled: true, fit },
      { name: 'n-grams + parent n-grams × 0.5, distilled', features: [ngrams, contextNgrams], distilled: true, fit },
    ],
    quality.chosen.mode,
  );

  const defaultMode = fast.chosen.mode;
  const bands = BANDS.map((band) => {
    const mode: ModeModel = { ...quality.chosen.mode, band };
    const cascade = (posts: readonly Post[]) => posts.map((p) => cascadeScores(defaultMode, mode, input(p)));
    const validationScores = cascade(split.validation);
    const threshold = chooseThreshold(
      validationScores.map((s) => s.sociopolitical),
      split.validation.map((p) => p.sociopolitical),
      minRecall,
    );
    const tuned = { ...mode, threshold };
    const validation = accuracyOn(tuned, split.validation, validationScores);
    const test = accuracyOn(tuned, split.test, cascade(split.test));
    const share = split.test.filter((p) => wantsQuality(tuned, classify(defaultMode, input(p)).sociopolitical)).length / split.test.length;
    log(variantLine(`quality mode, encoder for default p in ${band.low}–${band.high} (${(share * 100).toFixed(0)}% of test)`, validation, test));
    return { mode: tuned, validation, test, share };
  });
  const qualityMode = bands.reduce((best, b) => (b.validation.accuracy > best.validation.accuracy ? b : best)).mode;
  const model: PoliticalModel = { default: defaultMode, quality: qualityMode };

  const majority = majorityLean(split.train);
  const modeScores = (posts: readonly Post[]) => ({
    default: score(defaultMode, posts),
    quality: posts.map((p) => cascadeScores(defaultMode, qualityMode, input(p))),
  });
  const source = (post: LabelledPost) => sourceRepo(post.source);
  const test = modeScores(split.test);
  const reports = {
    default: heldOutReport(split.test, test.default, defaultMode.threshold, majority, source),
    quality: heldOutReport(split.test, test.quality, qualityMode.threshold, majority, source),
  };
  printReport('DEFAULT mode, held-out Bluesky test posts', reports.default);
  printReport('QUALITY mode, held-out Bluesky test posts', reports.quality);

  const secondary = await secondaryChecks(options.dataDir, cache, (posts) => modeScores(posts), { default: defaultMode.threshold, quality: qualityMode.threshold }, majority);
  log(`\nsecondary (agreement with other labellers, never trained on): ${JSON.stringify(secondary)}`);

  const metrics = {
    splitSeed,
    bits,
    fit,
    minRecall,
    sizes: { labelled: labelled.length, train: split.train.length, validation: split.validation.length, test: split.test.length, unlabelled: split.unlabelled.length },
    candidates: {
      quality: quality.fitted.map((f) => ({ name: f.variant.name, validation: f.validation, test: f.test })),
      default: fast.fitted.map((f) => ({ name: f.variant.name, validation: f.validation, test: f.test })),
      bands: bands.map((b) => ({ band: b.mode.band, threshold: b.mode.threshold, validation: b.validation, test: b.test, encodedShare: b.share })),
    },
    chosen: { default: fast.chosen.variant.name, quality: `${quality.chosen.variant.name}, band ${qualityMode.band!.low}–${qualityMode.band!.high}` },
    test: reports,
    secondary,
  };
  return { model, metrics };
}

/** Quality mode as the classifier runs it: the default answer unless the default probability falls inside the band. */
export function cascadeScores(defaultMode: ModeModel, quality: ModeModel, input: ModeInput): PoliticalScores {
  const fast = classify(defaultMode, { ...input, embeddings: undefined });
  return wantsQuality(quality, fast.sociopolitical) ? classify(quality, input) : fast;
}

/** Teacher agreement on the older LLM-labelled rows (by source) and the research repo's synthetic posts. */
async function secondaryChecks(
  dataDir: string,
  cache: EmbeddingCache,
  scoresOf: (posts: readonly Post[]) => Record<'default' | 'quality', PoliticalScores[]>,
  thresholds: Record<'default' | 'quality', number>,
  majority: Lean,
) {
  // Optional files: a data directory without them (e.g. the test fixture) reports no secondary table.
  const sets = Object.fromEntries(
    [
      ['llm-labelled (older teacher)', LLM_LABELLED_FILE, readLlmLabelled],
      ['met synthetic', MET_SYNTHETIC_FILE, readMetSynthetic],
    ].flatMap(([name, file, read]) => (fs.existsSync(path.join(dataDir, file as string)) ? [[name, (read as typeof readLlmLabelled)(dataDir)]] : [])),
  ) as Record<string, LabelledPost[]>;
  await cache.ensure(Object.values(sets).flatMap((posts) => posts.map((p) => p.text)));
  return Object.fromEntries(
    Object.entries(sets).map(([name, posts]) => {
      const scores = scoresOf(posts);
      return [
        name,
        Object.fromEntries(
          (['default', 'quality'] as const).map((mode) => [
            mode,
            heldOutReport(posts, scores[mode], thresholds[mode], majority, (p) => p.source).slices.filter((s) => s.slice === 'all' || s.slice.startsWith('source')),
          ]),
        ),
      ];
    }),
  );
}

export { UNIVERSAL_SENTENCE_ENCODER };
