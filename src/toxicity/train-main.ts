/**
 * `npm run train:toxicity -- --bluesky <bluesky_labeled.jsonl> [--pool <bluesky_pool.jsonl>]
 * [--davidson <labeled_data.csv>] [--embeddings <cache.jsonl>]`: trains the toxicity classifier behind
 * `toxicity_analysis`, prints held-out numbers and writes models/toxicity/model.json and metrics.json (the
 * numbers MODEL_CARD.md quotes). Deterministic: fixed seeds.
 *
 * Bluesky posts are split by author: a test part (~20%) that nothing is chosen or fitted on, and a
 * development part on which grouped cross-validation chooses the recipe. The fast model is an n-gram
 * student distilled from a slow teacher (the n-gram model averaged with a head over Universal Sentence
 * Encoder embeddings) on the unlabelled Bluesky pool; the same head serves TOXICITY_CASCADE.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { UNIVERSAL_SENTENCE_ENCODER } from '../models/embedders/embedder.ts';
import { foldOf, normaliseText } from '../political/data.ts';
import { featurize, type SparseVector } from '../political/features.ts';
import { binaryMetrics, reliabilityBins } from '../political/metrics.ts';
import { dot, embeddingProbability, type EmbeddingHead, type LinearModel, type Platt } from '../political/model.ts';
import { DEFAULT_TRAIN_OPTIONS, fitPlatt, trainEmbeddingHead, trainSoftmax, type TrainOptions } from '../political/train.ts';
import { readBlueskyPool, readBlueskyToxic, readDavidson, type ToxicExample } from './data.ts';
import { embedTexts } from './embeddings.ts';
import { averagePrecision, bootstrapInterval } from './metrics.ts';
import { combinedToxicity, encodeToxicityModel, ngramToxicity, type ToxicityModel } from './model.ts';

const USAGE = 'usage: npm run train:toxicity -- --bluesky <bluesky_labeled.jsonl> [--pool <bluesky_pool.jsonl>] [--davidson <labeled_data.csv>] [--embeddings <cache.jsonl>] [--out <dir>]';
const SPLIT = { seed: 2027, parts: 5 };
const CROSS_VALIDATION = { seed: 13, folds: 5 };
const HEAD_OPTIONS: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, learningRate: 0.1, epochs: 40 };
const THRESHOLDS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7];
/** Cascade bands, narrowest (fastest) first. */
const BANDS = [
  { low: 0.1, high: 0.5 },
  { low: 0.05, high: 0.6 },
  { low: 0.03, high: 0.8 },
  { low: 0, high: 1 },
];

const { values: args } = parseArgs({ options: { bluesky: { type: 'string' }, pool: { type: 'string' }, davidson: { type: 'string' }, embeddings: { type: 'string' }, out: { type: 'string' } } });
if (!args.bluesky) {
  console.error(`--bluesky is required (the labelled Bluesky posts: ../shared/data/political/bluesky_labeled.jsonl)\n${USAGE}`);
  process.exit(2);
}
for (const file of [args.bluesky, args.pool, args.davidson]) {
  if (file && !fs.existsSync(file)) {
    console.error(`${file}: no such file\n${USAGE}`);
    process.exit(2);
  }
}
const outDir = args.out ?? fileURLToPath(new URL('../../models/toxicity/', import.meta.url));

const bluesky = readBlueskyToxic(args.bluesky);
const test = bluesky.filter((e) => foldOf(e.group, SPLIT.seed, SPLIT.parts) === 0);
const development = bluesky.filter((e) => foldOf(e.group, SPLIT.seed, SPLIT.parts) !== 0);
const labelledTexts = new Set(bluesky.map((e) => normaliseText(e.text)));
const testTexts = new Set(test.map((e) => normaliseText(e.text)));
/** Unlabelled posts, none a (near-)duplicate of a labelled one; Davidson's tweets, none a (near-)duplicate of a held-out post. */
const pool = args.pool ? readBlueskyPool(args.pool).filter((text) => !labelledTexts.has(normaliseText(text))) : [];
const tweets = args.davidson ? readDavidson(args.davidson).filter((e) => !testTexts.has(normaliseText(e.text))) : [];
const positives = (rows: readonly ToxicExample[]) => rows.filter((e) => e.toxic >= 0.5).length;
const truth = (rows: readonly ToxicExample[]) => rows.map((e) => e.toxic >= 0.5);
console.log(
  `Bluesky posts ${bluesky.length} (toxic ${positives(bluesky)}): development ${development.length} (toxic ${positives(development)}), test ${test.length} (toxic ${positives(test)}); unlabelled pool ${pool.length}; Davidson tweets ${tweets.length}`,
);

const embeddings = await embedTexts([...bluesky.map((e) => e.text), ...pool], args.embeddings);
const embeddingOf = (text: string) => embeddings.get(text)!;

interface Recipe {
  name: string;
  davidsonWeight: number;
  options: TrainOptions;
}

const features = new Map<string, SparseVector>();
/** Features per text and hash size, computed once for every recipe and fold. */
function featuresOf(text: string, bits: number): SparseVector {
  const key = `${bits}\u0000${text}`;
  let x = features.get(key);
  if (!x) features.set(key, (x = featurize(text, bits)));
  return x;
}

function trainNgram(rows: readonly ToxicExample[], recipe: Recipe): LinearModel {
  const all = [...rows, ...(recipe.davidsonWeight ? tweets.map((e) => ({ ...e, weight: recipe.davidsonWeight })) : [])];
  return trainSoftmax(
    all.map((e) => featuresOf(e.text, recipe.options.bits)),
    all.map((e) => e.toxic),
    2,
    recipe.options,
    all.map((e) => e.weight),
  )[0]!;
}

const margin = (linear: LinearModel, bits: number, text: string) => dot(linear.weights, featuresOf(text, bits), linear.bias);
const calibrated = (linear: LinearModel, bits: number, validation: readonly ToxicExample[]): LinearModel & { platt: Platt } => ({
  ...linear,
  platt: fitPlatt(
    validation.map((e) => margin(linear, bits, e.text)),
    truth(validation),
  ),
});
const fold = (e: ToxicExample) => foldOf(e.group, CROSS_VALIDATION.seed, CROSS_VALIDATION.folds);
const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** Stage 1: the n-gram recipe, by mean average precision over grouped folds of the development posts. */
function crossValidateNgram(recipe: Recipe): number {
  return mean(
    Array.from({ length: CROSS_VALIDATION.folds }, (_, k) => {
      const linear = trainNgram(
        development.filter((e) => fold(e) !== k),
        recipe,
      );
      const held = development.filter((e) => fold(e) === k);
      return averagePrecision(
        held.map((e) => margin(linear, recipe.options.bits, e.text)),
        truth(held),
      );
    }),
  );
}

/**
 * The whole recipe on one training/validation pair: the n-gram model and the sentence-embedding head (both on the
 * labelled posts, calibrated on validation), their average as the teacher of the unlabelled pool, and the n-gram
 * student trained on the labelled posts plus every pool text with the teacher's probability as its soft target.
 */
function distil(train: readonly ToxicExample[], validation: readonly ToxicExample[], recipe: Recipe) {
  const bits = recipe.options.bits;
  const ngram = calibrated(trainNgram(train, recipe), bits, validation);
  const asHead = (rows: readonly ToxicExample[]) => rows.map((e) => ({ embedding: embeddingOf(e.text), sociopolitical: e.toxic >= 0.5 }));
  const head: EmbeddingHead = { embedder: UNIVERSAL_SENTENCE_ENCODER, ...trainEmbeddingHead(asHead(train), asHead(validation), HEAD_OPTIONS), band: { low: 0, high: 1 } };
  if (!pool.length) return { ngram, head, student: ngram };
  const soft = pool.map((text) => ({
    text,
    toxic: (ngramToxicity(ngram, featuresOf(text, bits)) + embeddingProbability(head, embeddingOf(text))) / 2,
    weight: 1,
    group: 'pool',
    source: 'pool',
  }));
  const student = calibrated(trainNgram([...train, ...soft], recipe), bits, validation);
  return { ngram, head, student };
}

type Fit = ReturnType<typeof distil>;
/** Every model's probability for a post: the n-gram model, the head, the teacher, the student, and the cascade per band. */
function probabilities(fit: Fit, bits: number, e: ToxicExample) {
  const x = featuresOf(e.text, bits);
  const embedding = embeddingOf(e.text);
  const ngram = ngramToxicity(fit.ngram, x);
  const head = embeddingProbability(fit.head, embedding);
  const student = ngramToxicity(fit.student, x);
  const cascade = BANDS.map((band) => combinedToxicity({ bits, ...fit.student, embedding: { ...fit.head, band } }, student, embedding));
  return { ngram, head, teacher: (ngram + head) / 2, student, cascade };
}

const base: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, bits: 18 };
const grid: Recipe[] = (args.davidson ? [0, 1] : [0]).flatMap((w) =>
  [1e-4, 1e-5].map((l2) => ({ name: w ? `Bluesky + Davidson ×${w}` : 'Bluesky only', davidsonWeight: w, options: { ...base, l2 } })),
);
console.log('\nstage 1, the n-gram recipe, by grouped cross-validation on the development posts:');
const stageOne = grid.map((recipe) => {
  const started = Date.now();
  const averagePrecision = crossValidateNgram(recipe);
  console.log(`  ${recipe.name.padEnd(24)} l2 ${recipe.options.l2.toExponential(0)}: CV average precision ${averagePrecision.toFixed(3)}  (${Math.round((Date.now() - started) / 1000)} s)`);
  return { recipe, averagePrecision };
});
const recipe = stageOne.reduce((a, b) => (b.averagePrecision > a.averagePrecision ? b : a)).recipe;

console.log(`\nstage 2, distillation and cascade with ${recipe.name}, l2 ${recipe.options.l2} (fold k tests, fold k+1 calibrates):`);
const outOfFold = new Map<ToxicExample, ReturnType<typeof probabilities>>();
for (let k = 0; k < CROSS_VALIDATION.folds; k++) {
  const next = (k + 1) % CROSS_VALIDATION.folds;
  const fit = distil(
    development.filter((e) => fold(e) !== k && fold(e) !== next),
    development.filter((e) => fold(e) === next),
    recipe,
  );
  for (const e of development.filter((e) => fold(e) === k)) outOfFold.set(e, probabilities(fit, recipe.options.bits, e));
}
/** Mean average precision over the folds of one model's out-of-fold probabilities. */
const cvAveragePrecision = (pick: (p: ReturnType<typeof probabilities>) => number) =>
  mean(
    Array.from({ length: CROSS_VALIDATION.folds }, (_, k) => {
      const held = development.filter((e) => fold(e) === k);
      return averagePrecision(
        held.map((e) => pick(outOfFold.get(e)!)),
        truth(held),
      );
    }),
  );
const cv = {
  ngram: cvAveragePrecision((p) => p.ngram),
  sentenceEmbedding: cvAveragePrecision((p) => p.head),
  teacher: cvAveragePrecision((p) => p.teacher),
  student: cvAveragePrecision((p) => p.student),
  cascade: BANDS.map((band, b) => ({ band, averagePrecision: cvAveragePrecision((p) => p.cascade[b]!) })),
};
console.table({ ngram: cv.ngram, sentenceEmbedding: cv.sentenceEmbedding, teacher: cv.teacher, student: cv.student });
console.table(cv.cascade.map((c) => ({ band: `${c.band.low}–${c.band.high}`, averagePrecision: c.averagePrecision })));
/** The student ships if distillation helped; the cascade's band is the narrowest within 0.01 of the best. */
const useStudent = cv.student >= cv.ngram;
const bestCascade = Math.max(...cv.cascade.map((c) => c.averagePrecision));
const band = cv.cascade.find((c) => c.averagePrecision >= bestCascade - 0.01)!.band;
const developmentDefault = development.map((e) => (useStudent ? outOfFold.get(e)!.student : outOfFold.get(e)!.ngram));
/** A starting threshold: the best F1 on the development posts' out-of-fold probabilities, chosen without the test posts. */
const suggested = THRESHOLDS.map((t) => ({ t, f1: binaryMetrics(developmentDefault, truth(development), t).f1 })).reduce((a, b) => (b.f1 > a.f1 ? b : a)).t;

// The shipped model: the recipe on the development posts, CV fold 0 of them calibrating.
const final = distil(
  development.filter((e) => fold(e) !== 0),
  development.filter((e) => fold(e) === 0),
  recipe,
);
const fast = useStudent ? final.student : final.ngram;
const model: ToxicityModel = { bits: recipe.options.bits, ...fast, embedding: { ...final.head, band } };

const labels = truth(test);
function report(name: string, scores: number[]) {
  const interval = (statistic: 'precision' | 'recall') => bootstrapInterval(scores, labels, (p, l) => binaryMetrics(p, l, suggested)[statistic]);
  return {
    name,
    averagePrecision: averagePrecision(scores, labels),
    atSuggestedThreshold: { threshold: suggested, ...binaryMetrics(scores, labels, suggested), interval95: { precision: interval('precision'), recall: interval('recall') } },
    thresholds: THRESHOLDS.map((t) => ({ threshold: t, ...binaryMetrics(scores, labels, t) })),
    reliability: reliabilityBins(scores, labels),
  };
}
const onTest = test.map((e) => probabilities({ ...final, student: fast }, model.bits, e));
const bandIndex = BANDS.indexOf(band);
const metrics = {
  data: {
    bluesky: { file: path.basename(args.bluesky), posts: bluesky.length, toxic: positives(bluesky) },
    pool: args.pool ? { file: path.basename(args.pool), unlabelledPosts: pool.length } : null,
    davidson: args.davidson ? { file: path.basename(args.davidson), tweets: tweets.length } : null,
    split: { ...SPLIT, development: development.length, developmentToxic: positives(development), test: test.length, testToxic: positives(test) },
  },
  stageOne: stageOne.map((r) => ({ name: r.recipe.name, davidsonWeight: r.recipe.davidsonWeight, l2: r.recipe.options.l2, cvAveragePrecision: r.averagePrecision })),
  crossValidation: cv,
  chosen: { recipe: recipe.name, davidsonWeight: recipe.davidsonWeight, options: recipe.options, fast: useStudent ? 'distilled student' : 'n-gram', band },
  suggestedThreshold: suggested,
  test: {
    posts: test.length,
    toxic: positives(test),
    baseRate: positives(test) / test.length,
    fast: report(`${useStudent ? 'distilled n-gram student' : 'n-gram'} (default)`, onTest.map((p) => p.student)),
    cascade: {
      ...report(`cascade ${band.low}–${band.high} (TOXICITY_CASCADE)`, onTest.map((p) => p.cascade[bandIndex]!)),
      embeddedShare: onTest.filter((p) => p.student > band.low && p.student < band.high).length / test.length,
    },
    /** For the record, never to choose: the other models of the same fit on the test posts. */
    others: Object.fromEntries(
      (['ngram', 'head', 'teacher'] as const).map((name) => [
        name,
        averagePrecision(
          onTest.map((p) => p[name]),
          labels,
        ),
      ]),
    ),
  },
};

for (const mode of [metrics.test.fast, metrics.test.cascade]) {
  console.log(`\n${mode.name} on ${test.length} held-out Bluesky posts (${positives(test)} toxic, authors never trained on): average precision ${mode.averagePrecision.toFixed(3)}`);
  console.log(`at the suggested threshold ${suggested} (best F1 on development):`, mode.atSuggestedThreshold);
  console.table(mode.thresholds);
  console.table(mode.reliability);
}
console.log('other models on the test posts (average precision):', metrics.test.others, `; cascade embeds ${metrics.test.cascade.embeddedShare.toFixed(2)} of posts`);

fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'model.json'), JSON.stringify(encodeToxicityModel(model, { ...metrics.chosen, split: metrics.data.split, suggestedThreshold: suggested })));
fs.writeFileSync(path.join(outDir, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
console.log(`wrote ${path.join(outDir, 'model.json')}`);
