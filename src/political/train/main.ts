import type { Embedder } from '../../models/embedders/embedder.ts';
import { asStored, classify, wantsQuality, type FeatureBlock, type Lean, type ModeInput, type ModeModel, type PoliticalModel, type PoliticalScores } from '../model.ts';
import fs from 'node:fs';
import path from 'node:path';
import {
  LLM_LABELLED_FILE,
  MET_SYNTHETIC_FILE,
  normaliseText,
  readLabelled,
  readLlmLabelled,
  readMetSynthetic,
  readPlainPosts,
  readPool,
  sourceRepo,
  splitBluesky,
  type LabelledPost,
  type Post,
} from './data.ts';
import { EmbeddingCache } from '../../models/train/embedding-cache.ts';
import { binaryMetrics, majorityLean } from './evaluate.ts';
import { DEFAULT_FIT_OPTIONS, type FitOptions } from './fit.ts';
import { crossFit } from './cross-fit.ts';
import { fitMode, teach, type RecipeSettings } from './recipe.ts';
import { f3, heldOutReport, printReport, variantLine } from './report.ts';
import { readThreadContext } from './threads.ts';

export interface TrainPoliticalOptions {
  dataDir: string;
  /** The Epistemic-Threats CSVs that link replies to their parents; without them no post has context. */
  threadsDir?: string;
  /** Plain files of more unlabelled posts (one per line) for distillation, e.g. the whole Algospeak sample the pool drew 2,516 posts from. */
  morePosts?: readonly string[];
  /** Where teacher embeddings are kept between runs. */
  cacheDir: string;
  /** The quality mode's sentence encoder (the Universal Sentence Encoder), also the teacher's. */
  openEmbedder: () => Promise<Embedder>;
  /** A firehose-speed embedder the default mode may add to its n-grams (a candidate, chosen on validation like the rest). */
  openFastEmbedder?: () => Promise<Embedder>;
  splitSeed?: number;
  bits?: number;
  fit?: FitOptions;
  /** The recall the validation-chosen threshold must reach. */
  minRecall?: number;
  log?: (line: string) => void;
}

export const SPLIT_SEED = 2026;
/** Grouped folds over the training + validation posts that calibrate the shipped modes and choose their threshold and band. */
const FOLDS = 5;
/** Bands of default-mode probability inside which quality mode consults the encoder; chosen out of fold. */
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

/**
 * Lean class weights halfway between none and full balance: fully balanced, the 18 right and 17 moderate training
 * posts get ~15 times the weight of a left one and the head over-answers them (grouped cross-validation of a USE lean
 * head on training + validation posts: accuracy 0.643 balanced, 0.711 at 0.5, 0.731 unbalanced, always-left 0.631;
 * macro-F1 0.394 / 0.382 / 0.355).
 */
const LEAN_BALANCE = 0.5;

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
  const pool = readPool(options.dataDir, context);
  const seen = new Set(pool.map((p) => normaliseText(p.text)));
  // Posts of the extra files that the pool already holds (same normalised text) are left out: no post is counted twice.
  const more = (options.morePosts ?? []).flatMap(readPlainPosts).filter((p) => !seen.has(normaliseText(p.text)) && seen.add(normaliseText(p.text)));
  const split = splitBluesky(labelled, [...pool, ...more], splitSeed);
  log(
    `Bluesky labelled ${labelled.length}: train ${split.train.length}, validation ${split.validation.length}, test ${split.test.length}; unlabelled pool posts of training groups ${split.unlabelled.length}; of them from extra files ${split.unlabelled.filter((p) => p.source.startsWith('file:')).length}; posts with a known parent ${labelled.filter((p) => p.context).length}`,
  );

  const cache = new EmbeddingCache(options.cacheDir, await options.openEmbedder());
  const fastCache = options.openFastEmbedder ? new EmbeddingCache(options.cacheDir, await options.openFastEmbedder()) : undefined;
  const texts = [...labelled, ...split.unlabelled, ...split.validationUnlabelled].map((p) => p.text);
  for (const c of [cache, ...(fastCache ? [fastCache] : [])]) {
    const embedded = await c.ensure(texts, { progress: (done, total) => done === total && log(`embedded ${total} new texts`) });
    log(`${c.embedder.name} embeddings: ${embedded} computed, ${texts.length - embedded} from the cache`);
  }
  const input = (post: Post): ModeInput => ({
    text: post.text,
    context: post.context,
    embeddings: new Map([cache, ...(fastCache ? [fastCache] : [])].map((c) => [c.embedder.name, c.get(post.text)])),
  });
  const settings: RecipeSettings = { input, options: fit, minRecall, leanBalance: LEAN_BALANCE };

  const ngrams: FeatureBlock = { kind: 'ngrams', bits, scale: 1 };
  // Beside an embedding, full-length n-grams drown it out (grouped cross-validation on training + validation posts:
  // accuracy 0.880 at scale 1, 0.911 at 0.35); fewer buckets suffice for them there.
  const quietNgrams: FeatureBlock = { kind: 'ngrams', bits: Math.min(bits, 16), scale: 0.35 };
  const contextNgrams: FeatureBlock = { kind: 'context-ngrams', bits: Math.min(bits, 16), scale: 0.5 };
  const embeddingOf = (c: EmbeddingCache): FeatureBlock => ({ kind: 'embedding', embedder: c.embedder.name, dimensions: c.embedder.dimensions });
  const embedding = embeddingOf(cache);
  const score = (mode: ModeModel, posts: readonly Post[]) => posts.map((p) => classify(mode, input(p)));
  const metricsOn = (posts: readonly LabelledPost[], scores: readonly PoliticalScores[], threshold: number) =>
    binaryMetrics(
      scores.map((s) => s.sociopolitical),
      posts.map((p) => p.sociopolitical),
      threshold,
    );
  const replies = { validation: split.validation.filter((p) => p.context), test: split.test.filter((p) => p.context) };
  /** Validation and test numbers of a candidate, all posts and replies/quotes whose parent is known (the context gain). */
  const measure = (name: string, scoresOf: (posts: readonly Post[]) => PoliticalScores[], threshold: number) => {
    const result = {
      name,
      threshold,
      validation: metricsOn(split.validation, scoresOf(split.validation), threshold),
      test: metricsOn(split.test, scoresOf(split.test), threshold),
      replies: { validation: metricsOn(replies.validation, scoresOf(replies.validation), threshold), test: metricsOn(replies.test, scoresOf(replies.test), threshold) },
    };
    log(variantLine(name, result.validation, result.test, result.replies.test));
    return result;
  };

  const compare = (variants: Variant[], teacher?: ModeModel) => {
    const distilled = teacher ? teach(teacher, split.unlabelled, input) : [];
    const fitted = variants.map((variant) => {
      const mode = fitMode(variant.features, split.train, split.validation, { ...settings, options: variant.fit }, variant.distilled ? distilled : []);
      return { variant, mode, ...measure(variant.name, (posts) => score(mode, posts), mode.threshold) };
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
  log('\ndefault-mode candidates (students distilled over the unlabelled pool):');
  const fast = compare(
    [
      { name: 'n-grams, labelled posts only', features: [ngrams], distilled: false, fit },
      { name: 'n-grams, distilled', features: [ngrams], distilled: true, fit },
      { name: 'n-grams + parent n-grams × 0.5, distilled', features: [ngrams, contextNgrams], distilled: true, fit },
      ...(fastCache
        ? [
            { name: `n-grams + ${fastCache.embedder.name}, distilled`, features: [ngrams, embeddingOf(fastCache)], distilled: true, fit },
            { name: `n-grams + parent n-grams × 0.5 + ${fastCache.embedder.name}, distilled`, features: [ngrams, contextNgrams, embeddingOf(fastCache)], distilled: true, fit },
          ]
        : []),
    ],
    quality.chosen.mode,
  );

  log(`\nthe shipped recipe (${quality.chosen.variant.name} teaching ${fast.chosen.variant.name}), cross-fitted over ${FOLDS} grouped folds of the training + validation posts:`);
  const development = [...split.train, ...split.validation];
  const crossFitted = crossFit(
    {
      teacher: { features: quality.chosen.variant.features, fit: quality.chosen.variant.fit },
      student: { features: fast.chosen.variant.features, fit: fast.chosen.variant.fit, distilled: fast.chosen.variant.distilled },
      labelled: development,
      unlabelled: [...split.unlabelled, ...split.validationUnlabelled],
      groupOf: (post) => split.groups.get(post.id)!,
      folds: FOLDS,
      foldSeed: splitSeed + 1,
      bands: BANDS,
    },
    settings,
  );
  // One threshold for both modes, so that a manifest means the same in either: the default mode's, out of fold.
  const { threshold } = crossFitted.report;
  log(`out of fold: threshold ${threshold}; default acc ${f3(crossFitted.report.default.accuracy)} R ${f3(crossFitted.report.default.recall)}; quality acc ${f3(crossFitted.report.quality.accuracy)} R ${f3(crossFitted.report.quality.recall)} (band ${crossFitted.report.band.low}–${crossFitted.report.band.high})`);
  // What ships is what is measured: the weights as stored (quantised).
  const model = asStored({ default: crossFitted.default, quality: crossFitted.quality });
  const { default: defaultMode, quality: qualityMode } = model as Required<PoliticalModel>;
  // Every band's test numbers for the record; the band itself was chosen out of fold.
  const bands = crossFitted.report.bands.map((b) => {
    const mode: ModeModel = { ...qualityMode, band: b.band };
    const test = binaryMetrics(
      split.test.map((p) => cascadeScores(defaultMode, mode, input(p)).sociopolitical),
      split.test.map((p) => p.sociopolitical),
      threshold,
    );
    log(`band ${b.band.low}–${b.band.high} (encoder on ${(b.share * 100).toFixed(0)}% of posts) out-of-fold acc ${f3(b.metrics.accuracy)} R ${f3(b.metrics.recall)} | test acc ${f3(test.accuracy)} P ${f3(test.precision)} R ${f3(test.recall)}`);
    return { ...b, test };
  });

  const majority = majorityLean(split.train);
  const modeScores = (posts: readonly Post[]) => ({
    default: score(defaultMode, posts),
    quality: posts.map((p) => cascadeScores(defaultMode, qualityMode, input(p))),
  });
  const source = (post: LabelledPost) => sourceRepo(post.source);
  const test = modeScores(split.test);
  const reports = {
    default: heldOutReport(split.test, test.default, threshold, majority, source),
    quality: heldOutReport(split.test, test.quality, threshold, majority, source),
  };
  // Out-of-fold numbers of the shipped recipe on the development posts: where the manifests' lean thresholds are read off.
  const outOfFoldReports = {
    default: heldOutReport(development, crossFitted.outOfFold.default, threshold, majority, source),
    quality: heldOutReport(development, crossFitted.outOfFold.quality, threshold, majority, source),
  };
  printReport('DEFAULT mode, held-out Bluesky test posts', reports.default);
  printReport('QUALITY mode, held-out Bluesky test posts', reports.quality);

  const secondary = await secondaryChecks(options.dataDir, [cache, ...(fastCache ? [fastCache] : [])], modeScores, threshold, majority);
  log(`\nsecondary (agreement with other labellers, never trained on): ${JSON.stringify(secondary)}`);

  const metrics = {
    splitSeed,
    bits,
    fit,
    minRecall,
    sizes: { labelled: labelled.length, train: split.train.length, validation: split.validation.length, test: split.test.length, unlabelled: split.unlabelled.length, validationUnlabelled: split.validationUnlabelled.length, morePosts: more.length },
    candidates: {
      quality: quality.fitted.map(({ variant, mode, ...measured }) => measured),
      default: fast.fitted.map(({ variant, mode, ...measured }) => measured),
      bands,
    },
    chosen: { default: fast.chosen.variant.name, quality: `${quality.chosen.variant.name}, band ${crossFitted.report.band.low}–${crossFitted.report.band.high}`, threshold, folds: FOLDS },
    outOfFold: { default: crossFitted.report.default, quality: crossFitted.report.quality },
    test: reports,
    outOfFoldReports,
    secondary,
  };
  return { model, metrics };
}

/** Quality mode as the classifier runs it: the default answer unless the default probability falls inside the band. */
export function cascadeScores(defaultMode: ModeModel, quality: ModeModel, input: ModeInput): PoliticalScores {
  const fast = classify(defaultMode, input);
  return wantsQuality(quality, fast.sociopolitical) ? classify(quality, input) : fast;
}

/** Teacher agreement on the older LLM-labelled rows (by source) and the research repo's synthetic posts. */
async function secondaryChecks(
  dataDir: string,
  caches: readonly EmbeddingCache[],
  scoresOf: (posts: readonly Post[]) => Record<'default' | 'quality', PoliticalScores[]>,
  threshold: number,
  majority: Lean,
) {
  // Optional files: a data directory without them (e.g. the test fixture) reports no secondary table.
  const sets = Object.fromEntries(
    [
      ['llm-labelled (older teacher)', LLM_LABELLED_FILE, readLlmLabelled],
      ['met synthetic', MET_SYNTHETIC_FILE, readMetSynthetic],
    ].flatMap(([name, file, read]) => (fs.existsSync(path.join(dataDir, file as string)) ? [[name, (read as typeof readLlmLabelled)(dataDir)]] : [])),
  ) as Record<string, LabelledPost[]>;
  for (const cache of caches) await cache.ensure(Object.values(sets).flatMap((posts) => posts.map((p) => p.text)));
  return Object.fromEntries(
    Object.entries(sets).map(([name, posts]) => {
      const scores = scoresOf(posts);
      const table = (mode: 'default' | 'quality') => heldOutReport(posts, scores[mode], threshold, majority, (p) => p.source).slices.filter((s) => s.slice === 'all' || s.slice.startsWith('source'));
      return [name, { default: table('default'), quality: table('quality') }];
    }),
  );
}
