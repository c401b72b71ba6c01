import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openUniversalSentenceEncoder } from '../src/models/embedders/universal-sentence-encoder.ts';
import type { Embedder } from '../src/models/embedders/embedder.ts';
import { featurize } from '../src/political/features.ts';
import { classify, decodeModel, encodeModel, LEANS, PoliticalModelFileSchema } from '../src/political/model.ts';
import { groupPosts, normaliseText, readLabelled, readPlainPosts, readPool, splitBluesky } from '../src/political/train/data.ts';
import { EmbeddingCache } from '../src/models/train/embedding-cache.ts';
import { binaryMetrics, chooseThreshold, leanMetrics, reliabilityBins, rocAuc, sliceTable } from '../src/political/train/evaluate.ts';
import { DEFAULT_FIT_OPTIONS, fitLogistic, fitPlatt, fitSoftmax } from '../src/political/train/fit.ts';
import { trainPolitical } from '../src/political/train/main.ts';
import { readThreadContext } from '../src/political/train/threads.ts';

/** Invented posts written for these tests, in the shape of the real (non-redistributable) training files. */
const FIXTURE = 'test/fixtures/political';
const THREADS = path.join(FIXTURE, 'threads');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-political-'));

let encoder: Promise<Embedder> | undefined;
const useEncoder = () => (encoder ??= openUniversalSentenceEncoder());

describe('political training data', () => {
  const context = readThreadContext(THREADS);
  const labelled = readLabelled(FIXTURE, context);
  const pool = readPool(FIXTURE, context);

  it('pairs replies with the posts they answer from the thread CSVs', () => {
    assert.equal(context.get('This framing is really something.'), 'The senate vote on the housing bill is tomorrow, call your representative tonight');
    assert.equal(context.get("Couldn't agree more, well said"), 'Rainy day, tea, and a good book. Perfect');
    assert.equal(context.get('Lawmakers debate paid family leave'), 'Petition to expand the bus network reached ten thousand signatures');
    assert.equal(labelled.find((p) => p.text === 'This framing is really something.')?.context, context.get('This framing is really something.'));
    assert.equal(labelled.filter((p) => p.context).length, 2);
  });

  it('reads labels: lean only for sociopolitical posts', () => {
    assert.equal(labelled.length, 52);
    assert.ok(labelled.every((p) => (p.sociopolitical ? p.lean !== null : p.lean === null)));
    assert.equal(labelled.filter((p) => p.lean === 'right').length, 2);
  });

  it('reads more unlabelled posts from a plain file, one per line, dropping posts under five words', () => {
    const more = readPlainPosts(path.join(FIXTURE, 'more_posts.txt'));
    assert.equal(more.length, 5);
    assert.ok(more.every((p) => p.author === null && p.source === 'file:more_posts.txt' && p.id.startsWith('file:more_posts.txt:')));
    assert.throws(() => readPlainPosts(path.join(FIXTURE, 'nothing.txt')), /nothing\.txt is missing/);
  });

  it('a bad row names the file and line', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'bluesky_labeled.jsonl'), `${fs.readFileSync(path.join(FIXTURE, 'bluesky_labeled.jsonl'), 'utf8').split('\n')[0]}\n{"id":"x","text":"t"}\n`);
    assert.throws(() => readLabelled(dir), /bluesky_labeled\.jsonl:2: createdAt/);
    assert.throws(() => readPool(dir), /bluesky_pool\.jsonl is missing: pass the political data directory with --data/);
  });

  it('groups join authors, threads and near-duplicate texts; texts without words join nothing', () => {
    const posts = [
      { id: 'a', text: 'Vote on Tuesday!', author: 'did:plc:one', source: 's' },
      { id: 'b', text: 'vote on tuesday', author: null, source: 's' },
      { id: 'c', text: 'a reply', author: 'did:plc:two', source: 's', context: 'VOTE ON TUESDAY' },
      { id: 'd', text: 'something else', author: 'did:plc:one', source: 's' },
      { id: 'e', text: 'https://example.com', author: null, source: 's' },
      { id: 'f', text: '🎉🎉', author: null, source: 's' },
      { id: 'g', text: 'unrelated words', author: 'did:plc:three', source: 's' },
    ];
    const groups = groupPosts(posts);
    assert.equal(new Set(['a', 'b', 'c', 'd'].map((id) => groups.get(id))).size, 1);
    assert.equal(new Set(['e', 'f', 'g', 'a'].map((id) => groups.get(id))).size, 4);
    assert.equal(normaliseText('RT @someone: Vote on #Tuesday! https://x.y/z'), 'vote on');
  });

  it('splits by group: no group in two parts, unlabelled posts only from training groups', () => {
    const split = splitBluesky(labelled, pool, 2026);
    assert.equal(split.train.length + split.validation.length + split.test.length, labelled.length);
    const partOfGroup = new Map<string, string>();
    for (const part of ['train', 'validation', 'test'] as const)
      for (const post of split[part]) {
        const group = split.groups.get(post.id)!;
        assert.equal(partOfGroup.get(group) ?? part, part, `group ${group} straddles two parts`);
        partOfGroup.set(group, part);
      }
    assert.ok(split.test.length > 0 && split.validation.length > 0);
    const labelledIds = new Set(labelled.map((p) => p.id));
    for (const post of split.unlabelled) {
      assert.ok(!labelledIds.has(post.id));
      assert.equal(partOfGroup.get(split.groups.get(post.id)!) ?? 'train', 'train');
    }
    assert.deepEqual(splitBluesky(labelled, pool, 2026).test, split.test, 'the split is a function of the seed');
    assert.notDeepEqual(splitBluesky(labelled, pool, 7).test, split.test);
  });
});

describe('political learners and metrics', () => {
  const texts = ['tax the rich', 'vote today', 'senate bill', 'my cat sleeps', 'pizza night', 'new sketch'];
  const labels = [true, true, true, false, false, false];
  const xs = texts.map((t) => featurize(t, 12));

  it('logistic regression is reproducible per seed and learns the training labels', () => {
    const options = { ...DEFAULT_FIT_OPTIONS, epochs: 20 };
    const a = fitLogistic(xs, labels, 1 << 12, options);
    assert.deepEqual(fitLogistic(xs, labels, 1 << 12, options), a);
    assert.notDeepEqual(fitLogistic(xs, labels, 1 << 12, { ...options, seed: 8 }).weights, a.weights);
    const margins = xs.map((x) => x.indices.reduce((sum, index, i) => sum + a.weights[index]! * x.values[i]!, a.bias));
    assert.deepEqual(
      margins.map((m) => m > 0),
      labels,
    );
  });

  it('soft targets equal to hard labels train exactly like them; example weights of 1 change nothing', () => {
    const options = { ...DEFAULT_FIT_OPTIONS, epochs: 5 };
    assert.deepEqual(fitLogistic(xs, labels, 1 << 12, options), fitLogistic(xs, labels.map(Number), 1 << 12, options));
    const classes = texts.map((_, i) => i % 4);
    assert.deepEqual(
      fitSoftmax(xs, classes, { classes: 4, size: 1 << 12 }, options),
      fitSoftmax(
        xs,
        classes.map((c) => [0, 1, 2, 3].map((k) => (k === c ? 1 : 0))),
        { classes: 4, size: 1 << 12, weights: classes.map(() => 1) },
        options,
      ),
    );
  });

  it('Platt scaling maps margins onto the observed rate', () => {
    const margins = [-3, -2, -1, -0.5, 0.5, 1, 2, 3];
    const platt = fitPlatt(margins, [false, false, false, true, false, true, true, true]);
    assert.ok(platt.a > 0);
    assert.ok(1 / (1 + Math.exp(-(platt.a * 3 + platt.b))) > 0.8);
  });

  it('metrics: AUC with ties, threshold choice with a recall floor, slices, reliability, lean against the majority', () => {
    assert.equal(rocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 0.75);
    assert.equal(rocAuc([0.5, 0.5], [false, true]), 0.5);
    const probabilities = [0.9, 0.6, 0.45, 0.3, 0.2, 0.1];
    const truth = [true, true, true, false, false, false];
    assert.equal(chooseThreshold(probabilities, truth, 0), 0.31);
    assert.equal(binaryMetrics(probabilities, truth, 0.5).recall, 2 / 3);
    assert.equal(binaryMetrics(probabilities, truth, chooseThreshold(probabilities, truth, 1)).recall, 1);
    const bins = reliabilityBins(probabilities, truth);
    assert.equal(
      bins.reduce((n, b) => n + b.count, 0),
      6,
    );
    assert.equal(bins[9]!.observed, 1);
    const posts = ['one two', 'one two three four five six', 'x', 'y z', 'a b c d e f g', 'q'].map((text, i) => ({
      id: `${i}`,
      text,
      author: null,
      source: i < 3 ? 'a' : 'b',
      sociopolitical: truth[i]!,
      lean: null,
      ...(i === 0 && { context: 'p' }),
    }));
    const table = sliceTable(posts, probabilities, 0.5, (p) => p.source);
    const row = (name: string) => table.find((s) => s.slice === name)!;
    assert.equal(row('all').n, 6);
    assert.equal(row('≤ 5 words').n, 4);
    assert.equal(row('6–15 words').n, 2);
    assert.equal(row('replies/quotes (parent known)').n, 1);
    assert.equal(row('source a').recall, 2 / 3);
    const lean = leanMetrics(['left', 'unclear', 'unclear', 'right'], ['left', 'unclear', 'left', 'left'], 'left');
    assert.equal(lean.accuracy, 0.5);
    assert.equal(lean.baseline.accuracy, 0.75);
    // Macro-F1 over the classes in the truth or the predictions (as scikit-learn does): left 1/2, unclear 2/3, right 0.
    assert.ok(Math.abs(lean.macroF1 - (1 / 2 + 2 / 3 + 0) / 3) < 1e-12);
    assert.ok(Math.abs(lean.baseline.macroF1 - (6 / 7 + 0) / 2) < 1e-12);
  });
});

describe('political embedding cache', () => {
  it('embeds each text once, survives a reopen, and drops a torn last record', async () => {
    const dir = tmp();
    let calls = 0;
    const embedder = {
      name: 'counting',
      dimensions: 3,
      embed: async (texts: string[]) => texts.map((t) => (calls++, Float32Array.from([t.length, 1, 0]))),
    };
    const cache = new EmbeddingCache(dir, embedder);
    assert.equal(await cache.ensure(['a', 'bb', 'a']), 2);
    assert.equal(await cache.ensure(['a', 'bb']), 0);
    assert.equal(calls, 2);
    fs.appendFileSync(path.join(dir, 'counting.f32'), Buffer.alloc(7));
    const reopened = new EmbeddingCache(dir, embedder);
    assert.equal(reopened.size, 2);
    assert.deepEqual([...reopened.get('bb')], [2, 1, 0]);
    assert.equal(await reopened.ensure(['ccc']), 1);
    assert.equal(new EmbeddingCache(dir, embedder).size, 3);
    assert.throws(() => reopened.get('never'), /no cached counting embedding/);
  });
});

describe('political training run on the fixture', () => {
  it('trains both modes, reports every held-out table, and writes the same model twice', async () => {
    const cacheDir = tmp();
    const run = () =>
      trainPolitical({
        dataDir: FIXTURE,
        threadsDir: THREADS,
        morePosts: [path.join(FIXTURE, 'more_posts.txt')],
        cacheDir,
        openEmbedder: useEncoder,
        bits: 12,
        fit: { ...DEFAULT_FIT_OPTIONS, epochs: 5 },
        log: () => {},
      });
    const first = await run();
    const file = encodeModel(first.model, { fixture: true });
    assert.ok(PoliticalModelFileSchema.safeParse(JSON.parse(JSON.stringify(file))).success);
    const second = await run();
    assert.equal(JSON.stringify(encodeModel(second.model, { fixture: true })), JSON.stringify(file), 'byte-identical on rerun');
    const decoded = decodeModel(file);
    const text = 'The senate vote on the housing bill is tomorrow';
    assert.deepEqual(classify(decoded.default, { text }), classify(first.model.default, { text }));
    const { metrics } = first;
    assert.equal(metrics.sizes.morePosts, 4, "the extra file's post that repeats a pool post is left out");
    assert.equal(metrics.sizes.test, first.metrics.test.default.slices.find((s) => s.slice === 'all')!.n);
    assert.equal(metrics.candidates.default.length, 3);
    assert.equal(metrics.candidates.bands.length, 4);
    assert.ok(first.model.quality?.band, 'quality mode consults the encoder inside a band');
    assert.ok(first.model.quality!.features.some((b) => b.kind === 'embedding'));
    // The shipped modes are cross-fitted: one threshold, chosen out of fold on every training and validation post.
    assert.equal(metrics.chosen.folds, 5);
    assert.equal(first.model.default.threshold, metrics.chosen.threshold);
    assert.equal(first.model.quality!.threshold, metrics.chosen.threshold);
    assert.equal(metrics.outOfFoldReports.default.slices.find((s) => s.slice === 'all')!.n, metrics.sizes.train + metrics.sizes.validation);
    assert.equal(metrics.outOfFold.default.n, metrics.sizes.train + metrics.sizes.validation);
    for (const mode of ['default', 'quality'] as const) {
      const report = metrics.test[mode];
      assert.deepEqual(
        report.slices.slice(0, 5).map((s) => s.slice),
        ['all', '≤ 5 words', '6–15 words', '16–30 words', '> 30 words'],
      );
      assert.equal(report.reliability.length, 10);
      assert.equal(report.lean.baseline.lean, 'left');
      assert.ok(LEANS.includes(report.lean.baseline.lean));
    }
  });
});
