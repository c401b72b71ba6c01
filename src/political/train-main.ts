/**
 * `npm run train:political`: trains the political/social classifier from ../shared/data/political,
 * prints held-out numbers for each variant, and writes the chosen one to models/political/model.json
 * plus models/political/metrics.json (the numbers quoted in MODEL_CARD.md). Deterministic: fixed seeds.
 *
 * The shipped fast model is an n-gram student distilled from a slow teacher (the n-gram model averaged with a
 * head over Universal Sentence Encoder embeddings) on unlabelled texts; the same head serves POLITICAL_CASCADE.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dedupe, foldOf, normaliseText, readCrowdflowerPartisan, readLlmLabelled, readMetSynthetic, readUnlabelledPool, splitByGroup, type Example } from './data.ts';
import { binaryMetrics, multiclassMetrics, reliabilityBins } from './metrics.ts';
import { openUniversalSentenceEncoder } from '../models/embedders/universal-sentence-encoder.ts';
import { UNIVERSAL_SENTENCE_ENCODER } from '../models/embedders/embedder.ts';
import { featurize } from './features.ts';
import {
  classify,
  dot,
  embeddingProbability,
  encodeModel,
  leanDistribution,
  LEANS,
  ngramProbability,
  softmax,
  wantsEmbedding,
  type EmbeddingHead,
  type PoliticalModel,
  type PoliticalScores,
} from './model.ts';
import { DEFAULT_TRAIN_OPTIONS, denseVector, trainEmbeddingHead, trainEmbeddingLean, trainPoliticalModel, type TrainOptions } from './train.ts';

const dataDir = fileURLToPath(new URL('../../../shared/data/political/', import.meta.url));
const modelDir = fileURLToPath(new URL('../../models/political/', import.meta.url));
const SPLIT_SEED = 2026;
const CROSS_VALIDATION = { folds: 5, seed: 11 };
const HEAD_OPTIONS: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, learningRate: 0.1, epochs: 40 };
const BANDS = [
  { low: 0.2, high: 0.8 },
  { low: 0.1, high: 0.9 },
  { low: 0.05, high: 0.95 },
  { low: 0, high: 1 },
];

/** Sentence embeddings of every teacher and pool text (filled below, before anything needs them). */
const embeddings = new Map<string, Float32Array>();

/** The lean with the highest score, as an index into `LEANS`. */
const predictedLean = (scores: PoliticalScores) => LEANS.map((l) => scores[l]).reduce((best, v, k, all) => (v > all[best]! ? k : best), 0);

function evaluate(model: PoliticalModel, examples: readonly Example[]) {
  const scores = examples.map((e) => classify(model, e.text, embeddings.get(e.text)));
  const labels = examples.map((e) => e.sociopolitical);
  const probabilities = scores.map((s) => s.sociopolitical);
  const leaning = examples.flatMap((e, i) => (e.lean ? [{ truth: LEANS.indexOf(e.lean), s: scores[i]! }] : []));
  const predicted = leaning.map(({ s }) => predictedLean(s));
  return {
    sociopolitical: binaryMetrics(probabilities, labels),
    lean: {
      n: leaning.length,
      ...multiclassMetrics(
        predicted,
        leaning.map((l) => l.truth),
        LEANS.length,
      ),
    },
    probabilities,
    labels,
    scores,
  };
}

const llm = dedupe(readLlmLabelled(dataDir));
const split = splitByGroup(llm, SPLIT_SEED);
const heldOut = new Set([...split.validation, ...split.test].map((e) => normaliseText(e.text)));
const extras = { met: readMetSynthetic(dataDir), crowdflowerPartisan: readCrowdflowerPartisan(dataDir) };
/** Extra rows never share text with held-out rows (nor with the teacher's training rows). */
const extra = (rows: Example[]) => dedupe(rows, new Set([...heldOut, ...split.train.map((e) => normaliseText(e.text))]));

const variants: { name: string; train: Example[]; options: TrainOptions }[] = [
  { name: 'llm teacher only', train: split.train, options: DEFAULT_TRAIN_OPTIONS },
  { name: 'llm + met synthetic', train: [...split.train, ...extra(extras.met)], options: DEFAULT_TRAIN_OPTIONS },
  { name: 'llm + crowdflower partisan', train: [...split.train, ...extra(extras.crowdflowerPartisan)], options: DEFAULT_TRAIN_OPTIONS },
  { name: 'llm + met + crowdflower partisan', train: [...split.train, ...extra([...extras.met, ...extras.crowdflowerPartisan])], options: DEFAULT_TRAIN_OPTIONS },
  { name: 'llm only, 2^16 buckets', train: split.train, options: { ...DEFAULT_TRAIN_OPTIONS, bits: 16 } },
  { name: 'llm only, stronger L2', train: split.train, options: { ...DEFAULT_TRAIN_OPTIONS, l2: 1e-3 } },
];

const line = (name: string, validation: number, test: ReturnType<typeof evaluate>, more = '') =>
  console.log(
    `${name.padEnd(44)} validation acc ${validation.toFixed(3)}  test acc ${test.sociopolitical.accuracy.toFixed(3)} F1 ${test.sociopolitical.f1.toFixed(3)}  lean acc ${test.lean.accuracy.toFixed(3)} macro-F1 ${test.lean.macroF1.toFixed(3)}  ${more}`,
  );

console.log(`teacher rows after dedupe ${llm.length}: train ${split.train.length}, validation ${split.validation.length}, test ${split.test.length}`);
const results = variants.map((variant) => {
  const model = trainPoliticalModel(variant.train, split.validation, variant.options);
  const validation = evaluate(model, split.validation);
  const test = evaluate(model, split.test);
  line(variant.name, validation.sociopolitical.accuracy, test, `train ${variant.train.length}`);
  return { variant, model, validation, test };
});
/** Chosen on validation accuracy (ties: the first, i.e. the simpler variant); the test split only reports. */
const chosenNgram = results.reduce((best, r) => (r.validation.sociopolitical.accuracy > best.validation.sociopolitical.accuracy ? r : best));

const pool = readUnlabelledPool(dataDir, llm);
console.log(`\nembedding ${llm.length} teacher texts and ${pool.length} unlabelled texts with the Universal Sentence Encoder…`);
const started = Date.now();
const embedder = await openUniversalSentenceEncoder();
// Texts of similar length share a batch, so little time goes into padding.
const toEmbed = [...llm.map((e) => e.text), ...pool].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
for (let i = 0; i < toEmbed.length; i += 64) {
  const batch = toEmbed.slice(i, i + 64);
  (await embedder.embed(batch)).forEach((v, k) => embeddings.set(batch[k]!, v));
}
const embedSeconds = (Date.now() - started) / 1000;
console.log(`embedded in ${embedSeconds.toFixed(0)} s`);
const withEmbedding = (examples: readonly Example[]) => examples.map((e) => ({ embedding: embeddings.get(e.text)!, sociopolitical: e.sociopolitical }));

/**
 * The whole recipe on one training/validation pair: the n-gram model and the sentence-embedding head (both on the
 * labelled rows), their average as the teacher of the unlabelled pool, and the n-gram student trained on the labelled
 * rows plus every pool text with the teacher's probability as its soft target.
 */
function distil(train: readonly Example[], validation: readonly Example[], options: TrainOptions) {
  const ngram = trainPoliticalModel(train, validation, options);
  const head: EmbeddingHead = { embedder: UNIVERSAL_SENTENCE_ENCODER, ...trainEmbeddingHead(withEmbedding(train), withEmbedding(validation), HEAD_OPTIONS), band: { low: 0, high: 1 } };
  const leanHead = trainEmbeddingLean(
    train.flatMap((e) => (e.lean ? [{ embedding: embeddings.get(e.text)!, lean: e.lean }] : [])),
    HEAD_OPTIONS,
  );
  const distilled = pool.map((text) => {
    const x = featurize(text, options.bits);
    const embedding = embeddings.get(text)!;
    const ngramLean = leanDistribution(ngram, x);
    const dense = denseVector(embedding);
    const embeddingLean = softmax(leanHead.map((m) => dot(m.weights, dense, m.bias)));
    return {
      text,
      probability: (ngramProbability(ngram, x) + embeddingProbability(head, embedding)) / 2,
      lean: ngramLean.map((p, k) => (p + embeddingLean[k]!) / 2),
    };
  });
  return { ngram, head, student: trainPoliticalModel(train, validation, options, distilled) };
}

const options = chosenNgram.variant.options;
const recipe = distil(split.train, split.validation, options);
const student = { model: recipe.student, validation: evaluate(recipe.student, split.validation), test: evaluate(recipe.student, split.test) };
line('distilled n-gram student', student.validation.sociopolitical.accuracy, student.test, `train ${split.train.length} + ${pool.length} soft`);

/** The band of unsure student probabilities sent to the embedder, chosen on validation accuracy: wider is better but slower. */
const cascades = BANDS.map((band) => {
  const model: PoliticalModel = { ...student.model, embedding: { ...recipe.head, band } };
  const validation = evaluate(model, split.validation);
  const test = evaluate(model, split.test);
  const share = split.test.filter((e) => wantsEmbedding(model, ngramProbability(model, featurize(e.text, model.bits)))).length / split.test.length;
  line(`student + USE cascade ${band.low}–${band.high}`, validation.sociopolitical.accuracy, test, `embedded share ${share.toFixed(2)}`);
  return { band, model, validation, test, share };
});
const chosen = cascades.reduce((best, r) => (r.validation.sociopolitical.accuracy > best.validation.sociopolitical.accuracy ? r : best));

/**
 * Grouped k-fold cross-validation of the whole recipe (each fold the test part once, the next fold validation): every
 * teacher row is held out once, so the accuracies rest on 1,367 posts instead of the test split's 180.
 */
function crossValidate() {
  const models = ['ngram', 'sentenceEmbedding', 'student', 'cascade'] as const;
  const correct = { all: new Map<string, number>(), bluesky: new Map<string, number>(), other: new Map<string, number>() };
  const counts = { all: 0, bluesky: 0, other: 0 };
  const leanTruth: number[] = [];
  const leanPredicted = { ngram: [] as number[], student: [] as number[] };
  const fold = (e: Example) => foldOf(e.group, CROSS_VALIDATION.seed, CROSS_VALIDATION.folds);
  for (let k = 0; k < CROSS_VALIDATION.folds; k++) {
    const next = (k + 1) % CROSS_VALIDATION.folds;
    const test = llm.filter((e) => fold(e) === k);
    const fit = distil(
      llm.filter((e) => fold(e) !== k && fold(e) !== next),
      llm.filter((e) => fold(e) === next),
      options,
    );
    const cascade: PoliticalModel = { ...fit.student, embedding: { ...fit.head, band: chosen.band } };
    for (const e of test) {
      const embedding = embeddings.get(e.text)!;
      const scores = { ngram: classify(fit.ngram, e.text), student: classify(fit.student, e.text) };
      const p = {
        ngram: scores.ngram.sociopolitical,
        sentenceEmbedding: embeddingProbability(fit.head, embedding),
        student: scores.student.sociopolitical,
        cascade: classify(cascade, e.text, embedding).sociopolitical,
      };
      if (e.lean) {
        leanTruth.push(LEANS.indexOf(e.lean));
        leanPredicted.ngram.push(predictedLean(scores.ngram));
        leanPredicted.student.push(predictedLean(scores.student));
      }
      const group = e.source === 'bsky_feed' || e.source === 'jetstream' ? 'bluesky' : 'other';
      for (const part of ['all', group] as const) {
        counts[part]++;
        for (const m of models) correct[part].set(m, (correct[part].get(m) ?? 0) + Number(p[m] >= 0.5 === e.sociopolitical));
      }
    }
  }
  const accuracy = (part: keyof typeof counts) => ({ n: counts[part], ...Object.fromEntries(models.map((m) => [m, (correct[part].get(m) ?? 0) / counts[part]])) });
  const lean = (predicted: number[]) => multiclassMetrics(predicted, leanTruth, LEANS.length);
  return {
    ...CROSS_VALIDATION,
    accuracy: accuracy('all'),
    bluesky: accuracy('bluesky'),
    other: accuracy('other'),
    lean: { n: leanTruth.length, ngram: lean(leanPredicted.ngram), student: lean(leanPredicted.student) },
  };
}
const crossValidation = crossValidate();
/** Out of sample: the research repo's 100 synthetic posts with its own `political` labels (not the LLM teacher's), never trained on. */
const metSynthetic = {
  n: extras.met.length,
  ngram: evaluate(chosenNgram.model, extras.met).sociopolitical.accuracy,
  student: evaluate(student.model, extras.met).sociopolitical.accuracy,
};
console.log("accuracy on the research repo's synthetic posts:", metSynthetic);
console.log('\ngrouped cross-validation accuracy (every teacher row held out once):');
console.table({ all: crossValidation.accuracy, bluesky: crossValidation.bluesky, other: crossValidation.other });
console.log(`cross-validated lean over ${crossValidation.lean.n} sociopolitical rows:`);
console.table({ ngram: crossValidation.lean.ngram, student: crossValidation.lean.student });

/** Held-out numbers of one runtime mode: the default n-gram student, or the POLITICAL_CASCADE one. */
function report(name: string, test: ReturnType<typeof evaluate>) {
  return {
    name,
    sociopolitical: test.sociopolitical,
    lean: test.lean,
    reliability: reliabilityBins(test.probabilities, test.labels),
    thresholds: [0.3, 0.4, 0.5, 0.6, 0.7, 0.8].map((t) => ({ threshold: t, ...binaryMetrics(test.probabilities, test.labels, t) })),
    /** Label precision/recall of `political [left|right, >=, t]` over all held-out posts (truth: the teacher's lean). */
    leanThresholds: (['left', 'right'] as const).flatMap((lean) =>
      [0.3, 0.4, 0.5, 0.6].map((t) => ({
        lean,
        threshold: t,
        ...binaryMetrics(
          test.scores.map((s) => s[lean]),
          split.test.map((e) => e.lean === lean),
          t,
        ),
      })),
    ),
  };
}

const studentName = `${chosenNgram.variant.name}, distilled on ${pool.length} unlabelled texts`;
const metrics = {
  splitSeed: SPLIT_SEED,
  options,
  sizes: { train: split.train.length, validation: split.validation.length, test: split.test.length, unlabelledPool: pool.length },
  variants: results.map((r) => ({ name: r.variant.name, trainRows: r.variant.train.length, validationAccuracy: r.validation.sociopolitical.accuracy, test: r.test.sociopolitical, lean: r.test.lean })),
  student: { validationAccuracy: student.validation.sociopolitical.accuracy, test: student.test.sociopolitical, lean: student.test.lean },
  cascades: cascades.map((c) => ({ band: c.band, validationAccuracy: c.validation.sociopolitical.accuracy, test: c.test.sociopolitical, embeddedShare: c.share })),
  crossValidation,
  metSynthetic,
  embedSeconds,
  fast: report(studentName, student.test),
  cascade: report(`${studentName} + USE cascade ${chosen.band.low}–${chosen.band.high}`, chosen.test),
};
for (const mode of [metrics.fast, metrics.cascade]) {
  console.log(`\n${mode.name}\nheld-out sociopolitical:`, mode.sociopolitical, '\nheld-out lean:', mode.lean);
  console.table(mode.reliability);
  console.table(mode.thresholds);
  console.table(mode.leanThresholds);
}

fs.mkdirSync(modelDir, { recursive: true });
fs.writeFileSync(path.join(modelDir, 'model.json'), JSON.stringify(encodeModel(chosen.model, { variant: studentName, options, splitSeed: SPLIT_SEED, band: chosen.band })));
fs.writeFileSync(path.join(modelDir, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
console.log(`wrote ${modelDir}model.json`);
