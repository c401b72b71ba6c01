import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { evaluateBatch } from '../src/evaluate/index.ts';
import { createLogger } from '../src/log.ts';
import { compileManifest } from '../src/manifests/load.ts';
import { UNIVERSAL_SENTENCE_ENCODER } from '../src/models/embedders/embedder.ts';
import { EMBEDDING, embeddingRequest } from '../src/models/embedding-provider.ts';
import { SHIPPED_MODELS_DIR } from '../src/political/load.ts';
import { openServices } from '../src/services/index.ts';
import { loadToxicityModel } from '../src/toxicity/load.ts';
import { toxicity, wantsEmbedding } from '../src/toxicity/model.ts';
import { toxicityText } from '../src/toxicity/text.ts';
import { imagePost } from './support/image-posts.ts';

const silent = createLogger('silent');
const model = loadToxicityModel(SHIPPED_MODELS_DIR);
const { suggestedThreshold } = JSON.parse(fs.readFileSync(new URL('../models/toxicity/metrics.json', import.meta.url), 'utf8')) as { suggestedThreshold: number };

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
  it('labels plainly toxic posts and not civil ones at the model card’s suggested threshold, the probability as the score', async () => {
    const services = await openServices({ config: loadConfig({}), logger: silent });
    const { manifest: compiled, problems } = await compileManifest('toxic.json', manifest({ toxicity_analysis: ['Toxic', '>=', suggestedThreshold] }), { services: services.compile });
    assert.deepEqual(problems, []);
    const posts = [...TOXIC, ...CIVIL].map(post);
    const verdicts = await evaluateBatch(posts, [compiled!], services.providers);
    assert.deepEqual(
      verdicts.map((v) => v.matched),
      [...TOXIC.map(() => true), ...CIVIL.map(() => false)],
    );
    verdicts.forEach((v, i) => assert.equal(v.explanation[0]!.score, toxicity(model, posts[i]!.record.text)));
    await services.close();
  });

  it("reads what Graze's operator reads: the text, image alt texts and the link card", () => {
    const images = { $type: 'app.bsky.embed.images', images: [{ alt: 'a worthless idiot', image: {} }, { alt: '' }] };
    assert.equal(toxicityText(imagePost('a', images, 'look').record), 'look\na worthless idiot');
    const card = { $type: 'app.bsky.embed.external', external: { uri: 'https://example.com', title: 'Title', description: 'About it' } };
    assert.equal(toxicityText(imagePost('b', card, '').record), 'Title\nAbout it');
    const withAlt = toxicity(model, toxicityText(imagePost('c', { $type: 'app.bsky.embed.images', images: [{ alt: TOXIC[0] }] }, 'my photo').record));
    assert.ok(withAlt > toxicity(model, 'my photo'), 'a toxic alt text raises the score');
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

  it('with TOXICITY_CASCADE, unsure posts wait for their sentence embedding and get the mean of both models', async () => {
    const services = await openServices({ config: loadConfig({ TOXICITY_CASCADE: 'true' }), logger: silent });
    const { manifest: compiled } = await compileManifest('toxic.json', manifest({ toxicity_analysis: ['Toxic', '>=', suggestedThreshold] }), { services: services.compile });
    const texts = [...TOXIC, ...CIVIL, 'honestly this take is so dumb lol', 'I hate Mondays so much', 'the senator lied again, what a clown'];
    const posts = texts.map(post);
    const unsure = texts.filter((t) => wantsEmbedding(model, toxicity(model, t)));
    assert.ok(unsure.length > 0 && unsure.length < texts.length, `${unsure.length} of ${texts.length} texts unsure`);
    const verdicts = await evaluateBatch(posts, [compiled!], services.providers);
    const provider = services.providers.get(EMBEDDING.name)!;
    const embeddings = (await provider.compute(unsure.map((t) => embeddingRequest(UNIVERSAL_SENTENCE_ENCODER, t).input))) as Float32Array[];
    verdicts.forEach((v, i) => {
      const index = unsure.indexOf(texts[i]!);
      const expected = toxicity(model, texts[i]!, index < 0 ? undefined : embeddings[index]);
      assert.ok(Math.abs(v.explanation[0]!.score! - expected) < 1e-6, `${texts[i]}: ${v.explanation[0]!.score} vs ${expected}`);
    });
    await services.close();
  });
});
