import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { evaluateBatch } from '../src/evaluate/index.ts';
import { createLogger } from '../src/log.ts';
import { loadManifestFiles } from '../src/manifests/load.ts';
import { operators } from '../src/operators/index.ts';
import { isPending } from '../src/core/operator.ts';
import { CompileServices, provide } from '../src/core/services.ts';
import { EMBEDDING, embeddingRequest } from '../src/models/embedding-provider.ts';
import { UNIVERSAL_SENTENCE_ENCODER } from '../src/models/embedders/embedder.ts';
import { createPoliticalClassifier, POLITICAL_CLASSIFIER } from '../src/political/classifier.ts';
import { foldOf, normaliseText, readMetSynthetic, readUnlabelledPool } from '../src/political/data.ts';
import { loadPoliticalModel, POLITICAL_MODEL_FILE, SHIPPED_MODELS_DIR } from '../src/political/load.ts';
import { classify, LEANS, wantsEmbedding } from '../src/political/model.ts';
import { DEFAULT_TRAIN_OPTIONS, trainLogistic, trainPoliticalModel, trainSoftmax } from '../src/political/train.ts';
import { featurize } from '../src/political/features.ts';
import { openServices } from '../src/services/index.ts';
import { fixture } from './support/fixtures.ts';
import { recordedPosts } from './support/recorded-posts.ts';

/** The research repo's 100 synthetic posts (MIT, labelled by that repo): never used to train the shipped model. */
const labelled = readMetSynthetic(fixture('political/'));
const capture = recordedPosts();
const MANIFESTS = ['political.json', 'political-left.json', 'political-right.json'].map((f) => path.join('manifests', f));

describe('political classifier model', () => {
  it('loads offline from models/political, small, and gives the same scores on every load', () => {
    assert.ok(fs.statSync(path.join(SHIPPED_MODELS_DIR, POLITICAL_MODEL_FILE)).size < 20 * 1024 * 1024);
    const texts = labelled.slice(0, 20).map((e) => e.text);
    const first = loadPoliticalModel(SHIPPED_MODELS_DIR);
    const second = loadPoliticalModel(SHIPPED_MODELS_DIR);
    assert.deepEqual(
      texts.map((t) => classify(first, t)),
      texts.map((t) => classify(second, t)),
    );
    for (const scores of texts.map((t) => classify(first, t))) {
      assert.ok(scores.sociopolitical > 0 && scores.sociopolitical < 1);
      const leanTotal = LEANS.reduce((sum, lean) => sum + scores[lean], 0);
      assert.ok(Math.abs(leanTotal - scores.sociopolitical) < 1e-9, 'lean probabilities are P(lean | sociopolitical) × P(sociopolitical)');
    }
  });

  it('ranks political posts above non-political ones it never saw (AUC over the synthetic posts)', () => {
    const model = loadPoliticalModel(SHIPPED_MODELS_DIR);
    const test = labelled;
    const positives = test.filter((e) => e.sociopolitical).map((e) => classify(model, e.text).sociopolitical);
    const negatives = test.filter((e) => !e.sociopolitical).map((e) => classify(model, e.text).sociopolitical);
    const wins = positives.reduce((sum, p) => sum + negatives.reduce((s, n) => s + (p > n ? 1 : p === n ? 0.5 : 0), 0), 0);
    const auc = wins / (positives.length * negatives.length);
    assert.ok(auc > 0.9, `AUC ${auc}`);
  });

  it('scores a real post about immigrants and a president above a real post about a TV show', () => {
    const model = loadPoliticalModel(SHIPPED_MODELS_DIR);
    const political = capture.find((p) => p.record.text.startsWith('Mount Rushmore and that disgusting speech'))!;
    const show = capture.find((p) => p.record.text.startsWith('My show is super boring'))!;
    assert.ok(classify(model, political.record.text).sociopolitical > 0.5);
    assert.ok(classify(model, show.record.text).sociopolitical < 0.5);
  });

  it('training is reproducible: the same subset and seed give identical weights, another seed does not', () => {
    const options = { ...DEFAULT_TRAIN_OPTIONS, bits: 12, epochs: 3 };
    const a = trainPoliticalModel(labelled.slice(0, 80), labelled.slice(80), options);
    const b = trainPoliticalModel(labelled.slice(0, 80), labelled.slice(80), options);
    const c = trainPoliticalModel(labelled.slice(0, 80), labelled.slice(80), { ...options, seed: options.seed + 1 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.sociopolitical.weights, c.sociopolitical.weights);
  });
});

describe('political distillation data', () => {
  it('the unlabelled pool holds no text that (near-)duplicates a teacher row or another pool text', () => {
    // The real pool (Crowdflower, TweetEval) may not be redistributed: a data directory of the same layout stands in.
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-pool-'));
    const teacherRow = labelled[0]!.text;
    fs.writeFileSync(
      path.join(dataDir, 'crowdflower_political_social_media.csv'),
      `\uFEFFbias,text\npartisan,"RT ${teacherRow.toUpperCase()} https://t.co/x"\nneutral,Honoring our veterans today.\nneutral,honoring our VETERANS today!!\nneutral,12345\n`,
    );
    for (const part of ['train', 'val', 'test']) {
      fs.mkdirSync(path.join(dataDir, 'tweeteval_stance', 'climate'), { recursive: true });
      fs.writeFileSync(path.join(dataDir, 'tweeteval_stance', 'climate', `${part}_text.txt`), part === 'train' ? 'We need climate action now #SemST\n\n' : '');
    }
    const pool = readUnlabelledPool(dataDir, labelled);
    fs.rmSync(dataDir, { recursive: true, force: true });
    assert.deepEqual(pool, ['Honoring our veterans today.', 'We need climate action now #SemST']);
    assert.ok(!pool.map(normaliseText).includes(normaliseText(teacherRow)));
  });

  it('distilled texts train towards the teacher probability and lean; hard targets train exactly like labels', () => {
    const options = { ...DEFAULT_TRAIN_OPTIONS, bits: 12, epochs: 5 };
    const train = labelled.slice(0, 70);
    const xs = train.map((e) => featurize(e.text, options.bits));
    assert.deepEqual(
      trainLogistic(
        xs,
        train.map((e) => e.sociopolitical),
        options,
      ),
      trainLogistic(
        xs,
        train.map((e) => (e.sociopolitical ? 1 : 0)),
        options,
      ),
    );
    const classes = train.map((_, i) => i % 4);
    assert.deepEqual(
      trainSoftmax(xs, classes, 4, options),
      trainSoftmax(
        xs,
        classes.map((c) => [0, 1, 2, 3].map((k) => (k === c ? 1 : 0))),
        4,
        options,
        classes.map(() => 1),
      ),
    );
    const unseen = 'quorvex blintage';
    const taught = (probability: number, lean: number[]) => classify(trainPoliticalModel(train, labelled.slice(70), options, [{ text: unseen, probability, lean }]), unseen);
    assert.ok(taught(0.95, [0.25, 0.25, 0.25, 0.25]).sociopolitical > taught(0.05, [0.25, 0.25, 0.25, 0.25]).sociopolitical);
    const right = taught(0.95, [0, 1, 0, 0]);
    const left = taught(0.95, [1, 0, 0, 0]);
    assert.ok(right.right / right.sociopolitical > left.right / left.sociopolitical);
  });

  it('cross-validation folds keep every group in one fold and use them all', () => {
    const folds = new Map<string, number>();
    const groups = [...labelled.map((e) => e.group), ...capture.map((p) => p.author.did)];
    for (const group of [...groups, ...groups]) {
      const fold = foldOf(group, 11, 5);
      assert.ok(fold >= 0 && fold < 5);
      assert.equal(folds.get(group) ?? fold, fold);
      folds.set(group, fold);
    }
    assert.equal(new Set(folds.values()).size, 5);
  });
});

describe('political operator and manifests', () => {
  it('the three manifests validate and evaluate over recorded posts with the score in the explanation', async () => {
    const services = await openServices({ config: loadConfig({}), logger: createLogger('silent') });
    const { manifests, problems } = await loadManifestFiles(MANIFESTS, { services: services.compile });
    assert.deepEqual(problems, []);
    assert.deepEqual(manifests.map((m) => m.label.value).sort(), ['political', 'political-left', 'political-right']);
    const verdicts = await evaluateBatch(capture, manifests);
    assert.equal(verdicts.length, capture.length * 3);
    const model = loadPoliticalModel(SHIPPED_MODELS_DIR);
    for (const verdict of verdicts) {
      const entry = verdict.explanation.find((e) => e.op === 'political');
      const post = capture.find((p) => p.uri === verdict.uri)!;
      const category = verdict.label === 'political' ? 'sociopolitical' : verdict.label === 'political-left' ? 'left' : 'right';
      assert.equal(entry?.score, classify(model, post.record.text)[category]);
      assert.equal(verdict.matched, entry!.score! >= (verdict.label === 'political-left' ? 0.4 : 0.5));
    }
    assert.ok(
      verdicts.some((v) => v.label === 'political' && v.matched),
      'the capture has political text',
    );
    assert.ok(verdicts.some((v) => v.label === 'political' && !v.matched));
    await services.close();
  });

  it('with POLITICAL_CASCADE, unsure posts wait for their sentence embedding and get the mean of both models', async () => {
    const services = await openServices({ config: loadConfig({ POLITICAL_CASCADE: 'true' }), logger: createLogger('silent') });
    const { manifests } = await loadManifestFiles([MANIFESTS[0]!], { services: services.compile });
    const provider = services.providers.get(EMBEDDING.name)!;
    const verdicts = await evaluateBatch(capture, manifests, services.providers);
    const model = loadPoliticalModel(SHIPPED_MODELS_DIR);
    const unsure = capture.filter((p) => wantsEmbedding(model, classify(model, p.record.text).sociopolitical));
    assert.ok(unsure.length > 0 && unsure.length < capture.length, `${unsure.length} of ${capture.length} posts unsure`);
    const embeddings = (await provider.compute(unsure.map((p) => embeddingRequest(UNIVERSAL_SENTENCE_ENCODER, p.record.text).input))) as Float32Array[];
    for (const verdict of verdicts) {
      const index = unsure.findIndex((p) => p.uri === verdict.uri);
      const text = capture.find((p) => p.uri === verdict.uri)!.record.text;
      const expected = index < 0 ? classify(model, text).sociopolitical : classify(model, text, embeddings[index]).sociopolitical;
      const score = verdict.explanation.find((e) => e.op === 'political')!.score!;
      assert.ok(Math.abs(score - expected) < 1e-6, `${verdict.uri}: ${score} vs ${expected}`);
    }
    await services.close();
  });

  it('rejects an unknown category and compares with the shared comparators', async () => {
    const definition = operators.get('political')!;
    assert.equal(definition.args.safeParse(['conservative', '>=', 0.5]).success, false);
    const post = capture[0]!;
    const noContext = { feature: () => undefined, membership: () => undefined };
    const classifier = createPoliticalClassifier(loadPoliticalModel(SHIPPED_MODELS_DIR), { cascade: false });
    const env = { models: new Map(), services: new CompileServices([provide(POLITICAL_CLASSIFIER, classifier)]), manifestFile: 'test.json' };
    const above = (await definition.compile(definition.args.parse(['sociopolitical', '>=', 0]), env))(post, noContext);
    const below = (await definition.compile(definition.args.parse(['sociopolitical', '<', 0]), env))(post, noContext);
    assert.ok(!isPending(above) && !isPending(below) && 'matched' in above && 'matched' in below);
    await assert.rejects(async () => definition.compile(definition.args.parse(['sociopolitical', '>=', 0.5]), { ...env, services: new CompileServices() }), /political classifier service/);
    assert.equal(above.matched, true);
    assert.equal(below.matched, false);
  });
});
