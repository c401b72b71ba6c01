import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { evaluateBatch } from '../src/evaluate/index.ts';
import { createLogger } from '../src/log.ts';
import { compileManifest } from '../src/manifests/load.ts';
import { UNIVERSAL_SENTENCE_ENCODER } from '../src/models/embedders/embedder.ts';
import { EMBEDDING, embeddingRequest, type EmbeddingProvider } from '../src/models/embedding-provider.ts';
import { SHIPPED_MODELS_DIR } from '../src/models/model-file.ts';
import { openServices } from '../src/services/index.ts';
import { loadToxicityModel } from '../src/toxicity/load.ts';
import { cascadeToxicity, classifyToxicity, wantsQuality } from '../src/toxicity/model.ts';
import { imagePost } from './support/image-posts.ts';

const silent = createLogger('silent');
const model = loadToxicityModel(SHIPPED_MODELS_DIR);
const toxicity = (text: string) => classifyToxicity(model.default, { text });

const TOXIC = [
  'You are a pathetic, worthless idiot and a disgusting liar. Shut the fuck up, loser.',
  'These MAGA morons are brainless traitors, every last one of them is scum.',
  'Go to hell you stupid piece of shit, nobody wants you here.',
];
const CIVIL = [
  'What a lovely sunset over the lake this evening.',
  'Just finished reading a great book about the history of maps. Highly recommend it!',
  'Our community garden needs volunteers this weekend, everyone is welcome.',
];
const post = (text: string, i: number) => ({ ...imagePost(`t${i}`, undefined, text), record: { text, createdAt: '2026-07-04T12:00:00.000Z', langs: ['en'] } });
const manifest = (filter: unknown) => JSON.stringify({ label: { value: 'toxic' }, filter });

describe('toxicity_analysis', () => {
  it('labels plainly toxic posts and not civil ones at the threshold chosen on validation posts, the probability as the score', async () => {
    const services = await openServices({ config: loadConfig({}), logger: silent });
    const { manifest: compiled, problems } = await compileManifest('toxic.json', manifest({ toxicity_analysis: ['Toxic', '>=', model.threshold] }), { services: services.compile });
    assert.deepEqual(problems, []);
    const posts = [...TOXIC, ...CIVIL].map(post);
    const verdicts = await evaluateBatch(posts, [compiled!], services.providers);
    assert.deepEqual(
      verdicts.map((v) => v.matched),
      [...TOXIC.map(() => true), ...CIVIL.map(() => false)],
    );
    verdicts.forEach((v, i) => assert.equal(v.explanation[0]!.score, toxicity(posts[i]!.record.text)));
    await services.close();
  });

  it("reads what Graze's operator reads: the text, image alt texts and the link card", async () => {
    const services = await openServices({ config: loadConfig({}), logger: silent });
    const { manifest: compiled } = await compileManifest('toxic.json', manifest({ toxicity_analysis: ['Toxic', '>=', 0] }), { services: services.compile });
    const withAlt = imagePost('alt', { $type: 'app.bsky.embed.images', images: [{ alt: TOXIC[0], image: {} }] }, 'my photo');
    const withCard = imagePost('card', { $type: 'app.bsky.embed.external', external: { uri: 'https://example.com', title: TOXIC[1], description: 'a link' } }, 'read this');
    const [alt, card, plain] = await evaluateBatch([withAlt, withCard, imagePost('plain', undefined, 'my photo')], [compiled!], services.providers);
    assert.equal(alt!.explanation[0]!.score, toxicity(`my photo\n${TOXIC[0]}`));
    assert.equal(card!.explanation[0]!.score, toxicity(`read this\n${TOXIC[1]}\na link`));
    assert.ok(alt!.explanation[0]!.score! > plain!.explanation[0]!.score!, 'a toxic alt text raises the score');
    await services.close();
  });

  it("refuses Graze's other classes with what the model offers instead", async () => {
    const services = await openServices({ config: loadConfig({}), logger: silent });
    const problems = async (filter: unknown) => (await compileManifest('bad.json', manifest(filter), { services: services.compile })).problems.map((p) => `${p.path}: ${p.message}`);
    assert.deepEqual(await problems({ toxicity_analysis: ['Insult', '>=', 0.5] }), [
      'filter.toxicity_analysis[0]: toxicity_analysis: "Insult" is not available: skysift\'s local model scores one class, "Toxic" (insults, harassment, slurs, threats, dehumanising language or profanity aimed at a person or group)',
    ]);
    assert.deepEqual(await problems({ toxicity_analysis: ['toxic', '>=', 0.5] }), ['filter.toxicity_analysis[0]: unknown toxicity class "toxic": use "Toxic"']);
    assert.match((await problems({ toxicity_analysis: ['Toxic', '>=', 5] })).join(), /filter\.toxicity_analysis\[2\]/);
    await services.close();
  });

  it('in quality mode, posts the default mode is unsure of wait for their sentence embedding and get the quality answer', async () => {
    const services = await openServices({ config: loadConfig({ TOXICITY_MODE: 'quality' }), logger: silent });
    const { manifest: compiled } = await compileManifest('toxic.json', manifest({ toxicity_analysis: ['Toxic', '>=', model.threshold] }), { services: services.compile });
    // The first and the last are sure enough for the default mode; the others fall inside the band.
    const texts = ['Happy birthday to my wonderful mom! Love you so much', ...TOXIC, ...CIVIL, 'the senator lied again, what a clown', 'fuck you fuck you fuck you asshole'];
    const posts = texts.map(post);
    const quality = model.quality!;
    const unsure = texts.filter((t) => wantsQuality(quality, toxicity(t)));
    assert.ok(unsure.length > 0 && unsure.length < texts.length, `${unsure.length} of ${texts.length} texts unsure`);
    const provider = services.providers.get(EMBEDDING.name) as EmbeddingProvider;
    const verdicts = await evaluateBatch(posts, [compiled!], services.providers);
    assert.equal(provider.embedded.get(UNIVERSAL_SENTENCE_ENCODER), unsure.length, 'only the unsure posts were embedded');
    const embeddings = (await provider.compute(texts.map((t) => embeddingRequest(UNIVERSAL_SENTENCE_ENCODER, t).input))) as Float32Array[];
    verdicts.forEach((v, i) => {
      const expected = cascadeToxicity({ default: model.default, quality }, { text: texts[i]!, embeddings: new Map([[UNIVERSAL_SENTENCE_ENCODER, embeddings[i]!]]) });
      assert.ok(Math.abs(v.explanation[0]!.score! - expected) < 1e-6, `${texts[i]}: ${v.explanation[0]!.score} vs ${expected}`);
    });
    await services.close();
  });
});
