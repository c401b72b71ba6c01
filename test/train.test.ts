import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { EmbedderRegistry } from '../src/models/embedders/registry.ts';
import { loadXGBoostModel } from '../src/models/load-xgboost.ts';
import { XGBoostModel } from '../src/models/xgboost.ts';
import { parseCsv, readExamples } from '../src/models/train/dataset.ts';
import { boosterProbability, DEFAULT_GBDT_OPTIONS, trainGbdt } from '../src/models/train/gbdt.ts';
import { seededRandom } from '../src/models/random.ts';
import { classificationMetrics } from '../src/models/train/metrics.ts';
import { parseFeatureModules, trainModel, writeTrainedModel } from '../src/models/train/train-model.ts';
import { toXGBoostJson } from '../src/models/train/xgboost-json.ts';
import { runCli } from './support/cli.ts';
import { writeTinyBert } from './support/tiny-bert.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-train-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const modelsDir = path.join(root, 'models');
writeTinyBert(modelsDir, 'tiny-bert');

/** Pet posts are positive, finance and weather posts negative; a few carry "!" and times. */
function examples(count: number) {
  const random = seededRandom(7);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
  return Array.from({ length: count }, (_, i) => {
    const label = i % 2;
    const words = label ? ['cat', 'kitten', 'dog'] : ['stock', 'market', 'rain'];
    const text = [pick(words), ...Array.from({ length: Math.floor(random() * 3) }, () => pick([...words, 'the']))].join(' ') + (random() < 0.3 ? '!' : '');
    return { text, label, createdAt: new Date(Date.UTC(2024, 0, 1) + Math.floor(random() * 1e9)).toISOString() };
  });
}

test('the GBDT learns a threshold and an interaction, deterministically for a seed', () => {
  const random = seededRandom(1);
  const rows = Array.from({ length: 400 }, () => [random(), random(), random() < 0.1 ? Number.NaN : random()]);
  const labels = rows.map(([a, b]) => (a! > 0.5 !== b! > 0.5 ? 1 : 0));
  const options = { ...DEFAULT_GBDT_OPTIONS, rounds: 60, maxDepth: 3, learningRate: 0.3 };
  const booster = trainGbdt(rows, labels, options);
  const metrics = classificationMetrics(
    labels,
    rows.map((r) => boosterProbability(booster, r)),
  );
  assert.ok(metrics.accuracy > 0.95, `XOR accuracy ${metrics.accuracy}`);
  assert.deepEqual(trainGbdt(rows, labels, options), booster, 'same data and seed, same trees');
  assert.notDeepEqual(trainGbdt(rows, labels, { ...options, seed: 2 }), booster, 'the seed drives the row sampling');
  const scorer = XGBoostModel.fromJson(JSON.parse(JSON.stringify(toXGBoostJson(booster, ['a', 'b', 'c']))));
  for (const row of rows) assert.ok(Math.abs(scorer.score(row) - boosterProbability(booster, row)) < 1e-6, 'missing values go the same way in both');
});

test("train → XGBoost JSON → our scorer gives the trainer's predictions; metrics and card", async () => {
  const data = path.join(root, 'pets.jsonl');
  fs.writeFileSync(
    data,
    examples(120)
      .map((e) => JSON.stringify(e))
      .join('\n'),
  );
  const modules = parseFeatureModules('time_features,vectorizer:tiny-bert,post_metadata');
  const result = await trainModel({
    name: 'pets',
    dataFile: data,
    examples: readExamples(data),
    modules,
    embedders: new EmbedderRegistry({ modelsDir, allowRemote: false }),
    options: { ...DEFAULT_GBDT_OPTIONS, rounds: 20 },
    testFraction: 0.25,
    about: 'Synthetic pet and finance sentences.',
  });
  assert.equal(result.metrics.test.count, 30);
  assert.ok(result.metrics.test.accuracy > 0.9, `test accuracy ${result.metrics.test.accuracy}`);
  const file = writeTrainedModel(modelsDir, 'pets', result);
  const scorer = loadXGBoostModel(file);
  scorer.checkFeatureCount(2 + 4 + 2);
  assert.deepEqual(scorer.featureNames?.slice(0, 3), ['hour_utc', 'weekday_index', 'tiny-bert[0]']);
  result.test.rows.forEach((row, i) => assert.ok(Math.abs(scorer.score(row) - result.test.probabilities[i]!) < 1e-6, `row ${i}`));
  const card = fs.readFileSync(path.join(path.dirname(file), 'MODEL_CARD.md'), 'utf8');
  assert.match(card, /pets\.jsonl.*120 examples, 60 positive/);
  assert.match(card, /\| test \| 30 \|/);
  assert.match(card, /Synthetic pet and finance sentences/);
  assert.match(card, /"feature_modules":\[\{"type":"time_features"\},\{"type":"vectorizer","model_name":"tiny-bert"\},\{"type":"post_metadata"\}\]/);
});

test('skysift train reads a CSV, prints the held-out metrics and writes the model and card', async () => {
  const csv = path.join(root, 'pets.csv');
  const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
  fs.writeFileSync(csv, ['text,label,createdAt', ...examples(80).map((e) => `${quote(e.text)},${e.label},${e.createdAt}`)].join('\r\n'));
  const run = await runCli(['train', 'pets-csv', '--data', csv, '--features', 'post_metadata,vectorizer:tiny-bert', '--rounds', '10'], { MODELS_DIR: modelsDir });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^test +n=16 accuracy=\d\.\d{3} precision=\d\.\d{3} recall=\d\.\d{3} f1=\d\.\d{3}/m);
  loadXGBoostModel(path.join(modelsDir, 'pets-csv', 'model.json')).checkFeatureCount(6);
  assert.ok(fs.existsSync(path.join(modelsDir, 'pets-csv', 'MODEL_CARD.md')));
  const bad = await runCli(['train', 'x', '--data', csv, '--features', 'tfidf'], { MODELS_DIR: modelsDir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown feature module "tfidf"/);
});

test('datasets: quoted CSV fields, and bad rows named by line', () => {
  assert.deepEqual(parseCsv('text,label\n"a, ""b""\nc",1\nplain,0\n'), [
    ['text', 'label'],
    ['a, "b"\nc', '1'],
    ['plain', '0'],
  ]);
  const file = path.join(root, 'bad.jsonl');
  fs.writeFileSync(file, '{"text": "ok", "label": 1}\n{"text": "no label"}\n');
  assert.throws(() => readExamples(file), /bad\.jsonl:2: label/);
});
