/**
 * `npm run train:political`: trains the political/social classifier from ../shared/data/political,
 * prints held-out numbers for each data variant, and writes the chosen one to models/political/model.json
 * plus models/political/metrics.json (the numbers quoted in MODEL_CARD.md). Deterministic: fixed seeds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dedupe, normaliseText, readCrowdflowerPartisan, readLlmLabelled, readMetSynthetic, splitByGroup, type Example } from './data.ts';
import { binaryMetrics, multiclassMetrics, reliabilityBins } from './metrics.ts';
import { openUniversalSentenceEncoder } from '../models/embedders/universal-sentence-encoder.ts';
import { featurize } from './features.ts';
import { classify, encodeModel, LEANS, ngramProbability, wantsEmbedding, type PoliticalModel } from './model.ts';
import { DEFAULT_TRAIN_OPTIONS, trainEmbeddingHead, trainPoliticalModel, type TrainOptions } from './train.ts';

const dataDir = fileURLToPath(new URL('../../../shared/data/political/', import.meta.url));
const modelDir = fileURLToPath(new URL('../../models/political/', import.meta.url));
const SPLIT_SEED = 2026;

/** Sentence embeddings of every teacher text, for the cascade (empty until computed below). */
const embeddings = new Map<string, Float32Array>();

function evaluate(model: PoliticalModel, examples: readonly Example[]) {
  const scores = examples.map((e) => classify(model, e.text, embeddings.get(e.text)));
  const labels = examples.map((e) => e.sociopolitical);
  const probabilities = scores.map((s) => s.sociopolitical);
  const leaning = examples.flatMap((e, i) => (e.lean ? [{ truth: LEANS.indexOf(e.lean), s: scores[i]! }] : []));
  const predicted = leaning.map(({ s }) => LEANS.map((l) => s[l]).reduce((best, v, k, all) => (v > all[best]! ? k : best), 0));
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

console.log(`teacher rows after dedupe ${llm.length}: train ${split.train.length}, validation ${split.validation.length}, test ${split.test.length}`);
const results = variants.map((variant) => {
  const started = Date.now();
  const model = trainPoliticalModel(variant.train, split.validation, variant.options);
  const validation = evaluate(model, split.validation);
  const test = evaluate(model, split.test);
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `${variant.name.padEnd(34)} train ${String(variant.train.length).padStart(5)}  validation acc ${validation.sociopolitical.accuracy.toFixed(3)}  test acc ${test.sociopolitical.accuracy.toFixed(3)} F1 ${test.sociopolitical.f1.toFixed(3)}  lean acc ${test.lean.accuracy.toFixed(3)} macro-F1 ${test.lean.macroF1.toFixed(3)}  ${seconds.toFixed(1)} s`,
  );
  return { variant, model, validation, test };
});

/** Chosen on validation accuracy (ties: the first, i.e. the simpler variant); the test split only reports. */
const chosenNgram = results.reduce((best, r) => (r.validation.sociopolitical.accuracy > best.validation.sociopolitical.accuracy ? r : best));
console.log(`\nembedding ${llm.length} teacher texts with the Universal Sentence Encoder…`);
const started = Date.now();
const embedder = await openUniversalSentenceEncoder();
for (let i = 0; i < llm.length; i += 64) {
  const batch = llm.slice(i, i + 64);
  (await embedder.embed(batch.map((e) => e.text))).forEach((v, k) => embeddings.set(batch[k]!.text, v));
}
const embedSeconds = (Date.now() - started) / 1000;
const withEmbedding = (examples: Example[]) => examples.map((e) => ({ embedding: embeddings.get(e.text)!, sociopolitical: e.sociopolitical }));
const head = trainEmbeddingHead(withEmbedding(split.train), withEmbedding(split.validation), { ...DEFAULT_TRAIN_OPTIONS, learningRate: 0.1, epochs: 40 });
/** The band of unsure n-gram probabilities sent to the embedder, chosen on validation accuracy: wider is better but slower. */
const cascades = [
  { low: 0.2, high: 0.8 },
  { low: 0.1, high: 0.9 },
  { low: 0.05, high: 0.95 },
  { low: 0, high: 1 },
].map((band) => {
  const model: PoliticalModel = { ...chosenNgram.model, embedding: { embedder: embedder.name, ...head, band } };
  const validation = evaluate(model, split.validation);
  const test = evaluate(model, split.test);
  const share = split.test.filter((e) => wantsEmbedding(model, ngramProbability(model, featurize(e.text, model.bits)))).length / split.test.length;
  console.log(
    `cascade band ${band.low}–${band.high}`.padEnd(34),
    `validation acc ${validation.sociopolitical.accuracy.toFixed(3)}  test acc ${test.sociopolitical.accuracy.toFixed(3)} F1 ${test.sociopolitical.f1.toFixed(3)}  embedded share ${share.toFixed(2)}`,
  );
  return { variant: { ...chosenNgram.variant, name: `${chosenNgram.variant.name} + USE cascade ${band.low}–${band.high}` }, model, validation, test, share };
});
const chosen = cascades.reduce((best, r) => (r.validation.sociopolitical.accuracy > best.validation.sociopolitical.accuracy ? r : best));
/** Held-out numbers of one runtime mode: the default n-gram model, or the POLITICAL_CASCADE one. */
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

const metrics = {
  splitSeed: SPLIT_SEED,
  options: chosen.variant.options,
  sizes: { train: chosen.variant.train.length, validation: split.validation.length, test: split.test.length },
  variants: results.map((r) => ({ name: r.variant.name, trainRows: r.variant.train.length, validationAccuracy: r.validation.sociopolitical.accuracy, test: r.test.sociopolitical, lean: r.test.lean })),
  cascades: cascades.map((c) => ({ name: c.variant.name, validationAccuracy: c.validation.sociopolitical.accuracy, test: c.test.sociopolitical, embeddedShare: c.share })),
  embedSeconds,
  ngramOnly: report(chosenNgram.variant.name, chosenNgram.test),
  cascade: report(chosen.variant.name, chosen.test),
};
for (const mode of [metrics.ngramOnly, metrics.cascade]) {
  console.log(`\n${mode.name}\nheld-out sociopolitical:`, mode.sociopolitical, '\nheld-out lean:', mode.lean);
  console.table(mode.reliability);
  console.table(mode.thresholds);
  console.table(mode.leanThresholds);
}

fs.mkdirSync(modelDir, { recursive: true });
fs.writeFileSync(path.join(modelDir, 'model.json'), JSON.stringify(encodeModel(chosen.model, { variant: chosen.variant.name, options: chosen.variant.options, splitSeed: SPLIT_SEED })));
fs.writeFileSync(path.join(modelDir, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
console.log(`wrote ${modelDir}model.json`);
