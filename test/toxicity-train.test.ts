import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openUniversalSentenceEncoder } from '../src/models/embedders/universal-sentence-encoder.ts';
import type { Embedder } from '../src/models/embedders/embedder.ts';
import { DEFAULT_FIT_OPTIONS } from '../src/political/train/fit.ts';
import { classifyToxicity, decodeToxicityModel, encodeToxicityModel, ToxicityModelFileSchema } from '../src/toxicity/model.ts';
import { readDavidson, readToxicLabelled } from '../src/toxicity/train/data.ts';
import { trainToxicity } from '../src/toxicity/train/main.ts';
import { averagePrecision, bootstrapInterval } from '../src/toxicity/train/metrics.ts';

/** Invented posts and tweets written for these tests, in the shape of the real (non-redistributable) training files. */
const FIXTURE = 'test/fixtures/toxicity';
const DAVIDSON = path.join(FIXTURE, 'davidson_labeled_data.csv');

let encoder: Promise<Embedder> | undefined;
const useEncoder = () => (encoder ??= openUniversalSentenceEncoder());

describe('toxicity training data', () => {
  it('reads the toxic label of the labelled posts, and names the file and line of a bad row', () => {
    const labelled = readToxicLabelled(FIXTURE);
    assert.equal(labelled.length, 44);
    assert.equal(labelled.filter((p) => p.toxic).length, 14);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-toxicity-'));
    fs.writeFileSync(path.join(dir, 'bluesky_labeled.jsonl'), '{"id":"x","text":"t","author":null,"source":"s","toxic":2}\n');
    assert.throws(() => readToxicLabelled(dir), /bluesky_labeled\.jsonl:1: toxic/);
    assert.throws(() => readToxicLabelled(path.join(dir, 'nowhere')), /bluesky_labeled\.jsonl is missing: pass the political data directory with --data/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reads Davidson et al.'s tweets as the share of annotators who found them hateful or offensive, without entities and retweet prefixes", () => {
    const tweets = readDavidson(DAVIDSON);
    assert.deepEqual(tweets.slice(0, 3), [
      { text: 'you are such an idiot lol', toxic: 1 },
      { text: 'shut up you stupid clown & go home', toxic: 1 },
      { text: 'what a nice day at the park “sunny”', toxic: 0 },
    ]);
    assert.equal(tweets[3]!.toxic, 0.25);
    assert.throws(() => readDavidson(path.join(FIXTURE, 'bluesky_pool.jsonl')), /no "count" column: is this Davidson et al\.'s labeled_data\.csv\?/);
  });
});

describe('toxicity evaluation', () => {
  it('average precision: 1 for a perfect ranking, the precision at each positive otherwise', () => {
    assert.equal(averagePrecision([0.9, 0.8, 0.1], [true, true, false]), 1);
    assert.equal(averagePrecision([0.9, 0.8, 0.1], [false, true, true]), (1 / 2 + 2 / 3) / 2);
    assert.equal(averagePrecision([0.5, 0.4], [false, false]), 0);
  });

  it('a bootstrap interval brackets the statistic and is reproducible', () => {
    const scores = Array.from({ length: 200 }, (_, i) => i / 200);
    const labels = scores.map((s, i) => s > 0.5 || i % 7 === 0);
    const mean = (_: number[], l: boolean[]) => l.filter(Boolean).length / l.length;
    const [low, high] = bootstrapInterval(scores, labels, mean);
    const observed = mean(scores, labels);
    assert.ok(low < observed && observed < high, `${low} < ${observed} < ${high}`);
    assert.deepEqual(bootstrapInterval(scores, labels, mean), [low, high]);
  });
});

describe('toxicity training', () => {
  it('trains both modes on the fixture, reproducibly, and reports held-out numbers of the model as stored', { timeout: 240_000 }, async () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-toxicity-cache-'));
    const run = () => trainToxicity({ dataDir: FIXTURE, davidsonFile: DAVIDSON, cacheDir, openEmbedder: useEncoder, bits: 12, fit: { ...DEFAULT_FIT_OPTIONS, epochs: 5 }, log: () => {} });
    try {
      const first = await run();
      const file = encodeToxicityModel(first.model, { fixture: true });
      assert.ok(ToxicityModelFileSchema.safeParse(JSON.parse(JSON.stringify(file))).success);
      const second = await run();
      assert.equal(JSON.stringify(encodeToxicityModel(second.model, { fixture: true })), JSON.stringify(file), 'byte-identical on rerun');
      const decoded = decodeToxicityModel(file);
      for (const text of ['You are an absolute idiot', 'Lovely walk by the river']) assert.equal(classifyToxicity(decoded.default, { text }), classifyToxicity(first.model.default, { text }));
      const { metrics } = first;
      assert.equal(metrics.sizes.labelled, 44);
      assert.equal(metrics.sizes.train + metrics.sizes.validation + metrics.sizes.test, 44);
      assert.ok(metrics.sizes.unlabelled > 0 && metrics.sizes.unlabelled <= 12, 'only unlabelled posts of training groups teach');
      assert.equal(metrics.sizes.davidsonTweets, 6);
      assert.equal(metrics.candidates.quality.length, 2);
      assert.equal(metrics.candidates.default.length, 6, 'labelled only, + Davidson (two L2), distilled, distilled + Davidson (two L2)');
      assert.equal(metrics.candidates.bands.length, 4);
      assert.ok(decoded.quality?.band, 'the quality mode carries its band');
      for (const mode of ['default', 'quality'] as const) {
        const report = metrics.test[mode];
        assert.equal(report.atThreshold.n, metrics.sizes.test);
        assert.equal(report.atThreshold.threshold, first.model.threshold);
        assert.ok(report.averagePrecision >= 0 && report.averagePrecision <= 1);
      }
      const cached = fs.readdirSync(cacheDir);
      assert.deepEqual(cached, ['universal-sentence-encoder.f32'], 'embeddings are kept for the next run');
    } finally {
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});

describe('npm run train:toxicity', () => {
  const train = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/train-toxicity.ts', ...args], { encoding: 'utf8' });

  it('says in one line what is missing, with the usage, and no stack trace', () => {
    for (const [args, reason] of [
      [[], /--data is required/],
      [['--data', 'nowhere'], /nowhere\/bluesky_labeled\.jsonl does not exist/],
      [['--data', FIXTURE, '--davidson', 'nowhere.csv'], /nowhere\.csv does not exist/],
      [['--bits', '12'], /Unknown option '--bits'/],
    ] as const) {
      const result = train(...args);
      assert.equal(result.status, 2, result.stderr);
      const [first, usage, ...rest] = result.stderr.trim().split('\n');
      assert.match(first!, reason);
      assert.match(usage!, /^usage: npm run train:toxicity -- --data/);
      assert.deepEqual(rest, []);
    }
  });
});

