import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.ts';
import type { ConsolidatedPost } from '../src/consolidate/post.ts';
import { evaluateBatch } from '../src/evaluate/index.ts';
import { createLogger } from '../src/log.ts';
import { loadManifestFiles } from '../src/manifests/load.ts';
import { EMBEDDING, embeddingRequest } from '../src/models/embedding-provider.ts';
import { UNIVERSAL_SENTENCE_ENCODER } from '../src/models/embedders/embedder.ts';
import { operators } from '../src/operators/index.ts';
import { isPending, type EvaluationContext } from '../src/core/operator.ts';
import type { FeatureRequest } from '../src/core/features.ts';
import { CompileServices, provide } from '../src/core/services.ts';
import { createPoliticalClassifier, POLITICAL_CLASSIFIER, POLITICAL_SCORES, politicalScoresProvider, type PoliticalClassifier, type PoliticalOutcome } from '../src/political/classifier.ts';
import { ANSWERED_POST, answeredPostProvider } from '../src/political/context-provider.ts';
import { answeredUri, attachmentText, ownText } from '../src/political/context.ts';
import { SHIPPED_MODELS_DIR } from '../src/models/model-file.ts';
import { loadPoliticalModel, POLITICAL_MODEL_FILE } from '../src/political/load.ts';
import { classify, embeddersOf, featureVector, LEANS, scoreFeatures, wantsQuality, type FeatureBlock, type PoliticalModel, type PoliticalScores } from '../src/political/model.ts';
import { readLabelled, type Post } from '../src/political/train/data.ts';
import { DEFAULT_FIT_OPTIONS } from '../src/political/train/fit.ts';
import { fitMode } from '../src/political/train/recipe.ts';
import { rocAuc } from '../src/political/train/evaluate.ts';
import { openServices } from '../src/services/index.ts';
import { openDatabase } from '../src/store/database.ts';
import { PostStore } from '../src/store/posts.ts';
import { settled } from './support/inference.ts';
import { recordedPosts } from './support/recorded-posts.ts';

const MANIFESTS = ['political.json', 'political-left.json', 'political-right.json'].map((f) => path.join('manifests', f));
const model = loadPoliticalModel(SHIPPED_MODELS_DIR);
const capture = recordedPosts();
const noFeatures: EvaluationContext = { feature: () => undefined, membership: () => undefined };
const withFeatures = (features: Record<string, Map<string, unknown>>): EvaluationContext => ({
  feature: <Out>(request: FeatureRequest<unknown, Out>) => features[request.kind.name]?.get(request.key) as Out | undefined,
  membership: () => undefined,
});
const scoresOf = (result: PoliticalOutcome | unknown[]): PoliticalScores => {
  assert.ok(!Array.isArray(result) && !('error' in result), 'scores, not feature requests');
  return result;
};

/** The classifier's answer once its inferences (`political-scores`) are computed by its own provider, as the evaluator does; `context` has the rest. */
const inferred = (classifier: PoliticalClassifier, scoring: PoliticalModel, post: ConsolidatedPost, context = noFeatures) =>
  settled((inferring) => classifier.scores(post, inferring), [politicalScoresProvider(scoring)], context);

function post(uri: string, record: Partial<ConsolidatedPost['record']> & { text: string }): ConsolidatedPost {
  return {
    uri,
    cid: 'bafyreib2rxk3rh6kzwq',
    author: { did: 'did:plc:testauthor' },
    indexedAt: '2026-07-04T00:00:00.000Z',
    record: { createdAt: '2026-07-04T00:00:00.000Z', ...record },
    source: { name: 'firehose', syncedAt: '2026-07-04T00:00:00.000Z' },
  };
}

describe('shipped political model', () => {
  it('loads offline from models/political, is small, and scores the same on every load', () => {
    assert.ok(fs.statSync(path.join(SHIPPED_MODELS_DIR, POLITICAL_MODEL_FILE)).size < 20 * 1024 * 1024);
    const again = loadPoliticalModel(SHIPPED_MODELS_DIR);
    const texts = capture.slice(0, 20).map((p) => p.record.text);
    assert.deepEqual(
      texts.map((text) => classify(model.default, { text })),
      texts.map((text) => classify(again.default, { text })),
    );
    for (const scores of texts.map((text) => classify(model.default, { text }))) {
      assert.ok(scores.sociopolitical > 0 && scores.sociopolitical < 1);
      const leanTotal = LEANS.reduce((sum, lean) => sum + scores[lean], 0);
      assert.ok(Math.abs(leanTotal - scores.sociopolitical) < 1e-9, 'lean probabilities are P(lean | sociopolitical) × P(sociopolitical)');
    }
    assert.ok(model.quality, 'the shipped model has a quality mode');
    assert.ok(model.default.threshold > 0 && model.default.threshold < 1);
  });

  it('ranks invented political posts above invented everyday posts in both modes (never trained on)', async () => {
    const posts = readLabelled('test/fixtures/political');
    const labels = posts.map((p) => p.sociopolitical);
    const fast = posts.map((p) => classify(model.default, { text: p.text }).sociopolitical);
    assert.ok(rocAuc(fast, labels) > 0.9, `default AUC ${rocAuc(fast, labels)}`);
    const services = await openServices({ config: loadConfig({}), logger: createLogger('silent') });
    const embeddings = (await services.providers.get(EMBEDDING.name)!.compute(posts.map((p) => embeddingRequest(UNIVERSAL_SENTENCE_ENCODER, p.text).input))) as Float32Array[];
    const quality = posts.map((p, i) => classify(model.quality!, { text: p.text, embeddings: new Map([[UNIVERSAL_SENTENCE_ENCODER, embeddings[i]!]]) }).sociopolitical);
    assert.ok(rocAuc(quality, labels) > 0.9, `quality AUC ${rocAuc(quality, labels)}`);
    await services.close();
  });

  it('scores every recorded post the same to the bit with the loaded model\'s interleaved heads as with its five weight arrays', () => {
    for (const mode of [model.default, model.quality!]) {
      assert.ok(mode.heads, 'a loaded model has its heads interleaved');
      const plain = { ...mode, heads: undefined };
      const embeddings = new Map(embeddersOf(mode.features).map((name) => [name, new Float32Array(512).fill(0.04)]));
      for (const p of capture) {
        const x = featureVector(mode.features, { text: ownText(p.record), embeddings });
        assert.deepEqual(scoreFeatures(mode, x), scoreFeatures(plain, x), p.uri);
      }
    }
  });

  it('scores the 2020s political words that the first model missed above its everyday words', () => {
    // The words the issue listed with the first model's scores (Obamacare 1.00 … student loans 0.05, Palestine 0.04).
    const political = ['Obamacare', 'Trump', 'election', 'trans', 'covid', 'Gaza', 'Biden', 'student loans', 'Palestine'];
    const everyday = ['my cat sat on my keyboard again', 'Trying a new pasta recipe tonight', 'Rainy Sunday, pancakes and a long walk'];
    const score = (text: string) => classify(model.default, { text }).sociopolitical;
    const above = political.filter((text) => score(text) >= model.default.threshold);
    // The first model put 2 of the 9 at 0.5 or more; the model card lists every score.
    assert.ok(above.length >= 6, `only ${above.join(', ')} reach the threshold`);
    assert.ok(everyday.every((text) => score(text) < model.default.threshold));
  });
});

/**
 * A small model that reads the answered post, trained on the invented fixture posts, each given another post of the
 * same label as its parent: so a political parent speaks for a reply. The shipped model has no parent block (see
 * MODEL_CARD.md); this one tests the plumbing.
 */
function contextModel(): PoliticalModel {
  const posts = readLabelled('test/fixtures/political');
  const withParents = posts.map((p, i) => ({ ...p, context: posts.find((q, j) => j !== i && q.sociopolitical === p.sociopolitical)!.text }));
  const features: FeatureBlock[] = [
    { kind: 'ngrams', bits: 12, scale: 1 },
    { kind: 'context-ngrams', bits: 12, scale: 1 },
  ];
  const settings = { input: (p: Post) => ({ text: p.text, context: p.context }), options: { ...DEFAULT_FIT_OPTIONS, epochs: 10 }, minRecall: 0.85, leanBalance: 0.5 };
  return { default: fitMode(features, withParents, withParents, settings) };
}

describe('political context', () => {
  const reading = contextModel();
  const parentUri = 'at://did:plc:parent/app.bsky.feed.post/3kparent';
  const parent = post(parentUri, { text: 'The Senate just passed the immigration bill that strips asylum protections' });
  const reply = post('at://did:plc:testauthor/app.bsky.feed.post/3kreply', {
    text: 'This framing is really something.',
    reply: { root: { uri: parentUri, cid: 'bafyparent' }, parent: { uri: parentUri, cid: 'bafyparent' } },
  });
  const quote = post('at://did:plc:testauthor/app.bsky.feed.post/3kquote', {
    text: 'wow',
    embed: {
      $type: 'app.bsky.embed.recordWithMedia',
      record: { $type: 'app.bsky.embed.record', record: { uri: parentUri, cid: 'bafyparent' } },
      media: { $type: 'app.bsky.embed.images', images: [{ alt: 'A protest sign' }] },
    },
  });

  it('reads the link card, alt text, and the answered post of a reply or quote', () => {
    const link = post('at://x/app.bsky.feed.post/1', {
      text: 'read this',
      embed: { $type: 'app.bsky.embed.external', external: { uri: 'https://example.com', title: 'Court strikes down voting law', description: 'The ruling' } },
    });
    assert.equal(ownText(link.record), 'read this\nCourt strikes down voting law\nThe ruling');
    assert.equal(attachmentText(quote.record), 'A protest sign');
    assert.equal(answeredUri(reply.record), parentUri);
    assert.equal(answeredUri(quote.record), parentUri);
    assert.equal(answeredUri(link.record), undefined);
    const alone = classify(model.default, { text: 'read this' }).sociopolitical;
    assert.ok(classify(model.default, { text: ownText(link.record) }).sociopolitical > alone, 'a political headline raises the score');
  });

  it('a reply waits for its parent from the post store, then is read with it; no store, no wait', async () => {
    const { db } = openDatabase(':memory:');
    const store = new PostStore(db);
    store.upsert([parent]);
    const provider = answeredPostProvider(store);
    assert.deepEqual(await provider.compute([parentUri, 'at://did:plc:none/app.bsky.feed.post/unknown']), [parent.record.text, null]);
    const classifier = createPoliticalClassifier(reading, { mode: 'default', lookUpContext: true });
    assert.deepEqual(classifier.scores(reply, noFeatures), [{ kind: ANSWERED_POST, key: parentUri, input: parentUri }]);
    const withParent = scoresOf(await inferred(classifier, reading, reply, withFeatures({ [ANSWERED_POST.name]: new Map([[parentUri, parent.record.text]]) })));
    assert.deepEqual(withParent, classify(reading.default, { text: reply.record.text, context: parent.record.text }));
    const unseen = scoresOf(await inferred(createPoliticalClassifier(reading, { mode: 'default', lookUpContext: true }), reading, reply, withFeatures({ [ANSWERED_POST.name]: new Map([[parentUri, null]]) })));
    assert.deepEqual(unseen, classify(reading.default, { text: reply.record.text }));
    assert.ok(withParent.sociopolitical > unseen.sociopolitical, 'the political parent raises the reply');
    const offline = scoresOf(await inferred(createPoliticalClassifier(reading, { mode: 'default', lookUpContext: false }), reading, reply));
    assert.deepEqual(offline, unseen);
    db.close();
  });

  it('a model without a parent block never asks for the parent', async () => {
    assert.ok(!model.default.features.some((b) => b.kind === 'context-ngrams'));
    const classifier = createPoliticalClassifier(model, { mode: 'default', lookUpContext: true });
    assert.deepEqual(scoresOf(await inferred(classifier, model, quote)), classify(model.default, { text: ownText(quote.record) }));
  });

  it('in the service, evaluation looks the parent up in the store through the answered-post provider', async () => {
    const { db } = openDatabase(':memory:');
    new PostStore(db).upsert([parent]);
    const services = await openServices({ config: loadConfig({}), logger: createLogger('silent'), db });
    assert.ok(services.providers.has(ANSWERED_POST.name));
    const env = {
      models: new Map(),
      services: new CompileServices([provide(POLITICAL_CLASSIFIER, createPoliticalClassifier(reading, { mode: 'default', lookUpContext: true }))]),
      manifestFile: 'test.json',
    };
    const { manifests } = await loadManifestFiles([MANIFESTS[0]!], { services: env.services });
    // The classifier reads the test model, so its inferences are that model's too.
    const providers = new Map([...services.providers, [POLITICAL_SCORES.name, politicalScoresProvider(reading)]]);
    const [verdict] = await evaluateBatch([reply], manifests, providers);
    assert.equal(verdict!.explanation.find((e) => e.op === 'political')!.score, classify(reading.default, { text: reply.record.text, context: parent.record.text }).sociopolitical);
    await services.close();
    db.close();
  });
});

describe('political modes', () => {
  it('quality mode asks for the embedding only of posts the default model is unsure of, and uses it', async () => {
    const services = await openServices({ config: loadConfig({ POLITICAL_MODE: 'quality' }), logger: createLogger('silent') });
    const classifier = services.compile.require(POLITICAL_CLASSIFIER, 'no political classifier');
    assert.equal(classifier.mode, 'quality');
    const unsure = capture.filter((p) => wantsQuality(model.quality!, classify(model.default, { text: ownText(p.record) }).sociopolitical));
    assert.ok(unsure.length > 0 && unsure.length < capture.length, `${unsure.length} of ${capture.length} posts unsure`);
    const { manifests } = await loadManifestFiles([MANIFESTS[0]!], { services: services.compile });
    const verdicts = await evaluateBatch(capture, manifests, services.providers);
    const embeddings = (await services.providers.get(EMBEDDING.name)!.compute(unsure.map((p) => embeddingRequest(UNIVERSAL_SENTENCE_ENCODER, ownText(p.record)).input))) as Float32Array[];
    for (const verdict of verdicts) {
      const p = capture.find((c) => c.uri === verdict.uri)!;
      const index = unsure.indexOf(p);
      const text = ownText(p.record);
      const expected = index < 0 ? classify(model.default, { text }) : classify(model.quality!, { text, embeddings: new Map([[UNIVERSAL_SENTENCE_ENCODER, embeddings[index]!]]) });
      assert.ok(Math.abs(verdict.explanation.find((e) => e.op === 'political')!.score! - expected.sociopolitical) < 1e-6, `${verdict.uri}`);
    }
    await services.close();
  });

  it('POLITICAL_MODE accepts default and quality only', () => {
    assert.equal(loadConfig({}).POLITICAL_MODE, 'default');
    assert.throws(() => loadConfig({ POLITICAL_MODE: 'fast' }), /POLITICAL_MODE/);
  });
});

describe('political operator and manifests', () => {
  it('the three manifests evaluate recorded posts with the score in the explanation', async () => {
    const services = await openServices({ config: loadConfig({}), logger: createLogger('silent') });
    const { manifests, problems } = await loadManifestFiles(MANIFESTS, { services: services.compile });
    assert.deepEqual(problems, []);
    const verdicts = await evaluateBatch(capture, manifests, services.providers);
    assert.equal(verdicts.length, capture.length * 3);
    const thresholds: Record<string, number> = {};
    for (const file of MANIFESTS) {
      const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
      thresholds[manifest.label.value] = manifest.filter.and[0].political[2];
    }
    for (const verdict of verdicts) {
      const entry = verdict.explanation.find((e) => e.op === 'political');
      const p = capture.find((c) => c.uri === verdict.uri)!;
      const category = verdict.label === 'political' ? 'sociopolitical' : verdict.label === 'political-left' ? 'left' : 'right';
      assert.equal(entry?.score, classify(model.default, { text: ownText(p.record) })[category]);
      assert.equal(verdict.matched, entry!.score! >= thresholds[verdict.label]!);
    }
    assert.ok(verdicts.some((v) => v.label === 'political' && v.matched));
    assert.ok(verdicts.some((v) => v.label === 'political' && !v.matched));
    await services.close();
  });

  it('the sociopolitical manifest labels at the threshold the model chose out of fold', () => {
    const manifest = JSON.parse(fs.readFileSync(MANIFESTS[0]!, 'utf8'));
    assert.equal(manifest.filter.and[0].political[2], model.default.threshold);
  });

  it('rejects an unknown category and compares with the shared comparators', async () => {
    const definition = operators.get('political')!;
    assert.equal(definition.args.safeParse(['conservative', '>=', 0.5]).success, false);
    const classifier = createPoliticalClassifier(model, { mode: 'default', lookUpContext: false });
    const env = { models: new Map(), services: new CompileServices([provide(POLITICAL_CLASSIFIER, classifier)]), manifestFile: 'test.json' };
    // Scored once (the classifier keeps a post's scores for every leaf that asks), so the leaves below decide.
    scoresOf(await inferred(classifier, model, capture[0]!));
    const above = (await definition.compile(definition.args.parse(['sociopolitical', '>=', 0]), env))(capture[0]!, noFeatures);
    const below = (await definition.compile(definition.args.parse(['sociopolitical', '<', 0]), env))(capture[0]!, noFeatures);
    assert.ok(!isPending(above) && !isPending(below) && 'matched' in above && 'matched' in below);
    assert.equal(above.matched, true);
    assert.equal(below.matched, false);
    await assert.rejects(async () => definition.compile(definition.args.parse(['sociopolitical', '>=', 0.5]), { ...env, services: new CompileServices() }), /political classifier service/);
  });
});
