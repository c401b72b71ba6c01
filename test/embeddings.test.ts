import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { cosine } from '../src/models/embedders/embedder.ts';
import { EmbedderRegistry, EmbedderUnavailableError } from '../src/models/embedders/registry.ts';
import { createEmbeddingProvider, embeddingKey, LruCache } from '../src/models/embedding-provider.ts';
import { runCli } from './support/cli.ts';
import { writeTinyBert, WORDS } from './support/tiny-bert.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-embeddings-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const modelsDir = path.join(root, 'models');
writeTinyBert(modelsDir, 'tiny-bert');
const offline = new EmbedderRegistry({ modelsDir, allowRemote: false });

const norm = (v: Float32Array) => Math.hypot(...v);
const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v));

test('universal-sentence-encoder: related sentences score clearly above unrelated ones', async () => {
  const table = [
    ['The stock market fell sharply today', 'Shares dropped on Wall Street this afternoon', 'My cat loves sleeping in the sun'],
    ['The senate passed the new budget bill', 'Congress approved the spending legislation', 'I baked chocolate chip cookies'],
    ['Heavy rain is expected this weekend', 'The forecast calls for storms on Saturday', 'The band released a new album'],
    ['How do I reset my password?', 'I forgot my login credentials', 'The football match ended in a draw'],
  ];
  const embedder = await offline.resolve('universal-sentence-encoder');
  assert.equal(embedder.dimensions, 512);
  const related: number[] = [];
  const unrelated: number[] = [];
  for (const [anchor, near, far] of table) {
    const [a, b, c] = await embedder.embed([anchor!, near!, far!]);
    for (const v of [a!, b!, c!]) assert.ok(Math.abs(norm(v) - 1) < 1e-5, 'embeddings are L2-normalised');
    related.push(cosine(a!, b!));
    unrelated.push(cosine(a!, c!));
    assert.ok(cosine(a!, b!) - cosine(a!, c!) > 0.15, `${anchor}: related ${cosine(a!, b!)} vs unrelated ${cosine(a!, c!)}`);
  }
  assert.ok(Math.min(...related) > Math.max(...unrelated), `every related pair (${related}) above every unrelated pair (${unrelated})`);
});

test('transformers.js: a model in the models directory loads with remote loading disabled and is mean-pooled and normalised', async () => {
  const embedder = await offline.resolve('tiny-bert');
  assert.equal(embedder.dimensions, 4);
  // Different lengths in one batch: padding must not count in the mean.
  const [mixed, kitten, unknown] = await embedder.embed(['Cat stock', 'kitten', 'zebra']);
  const expected = [unit([0.5, 0.5, 0, 0]), unit(WORDS.kitten!), unit(WORDS['[UNK]']!)];
  [mixed!, kitten!, unknown!].forEach((vector, i) => expected[i]!.forEach((x, d) => assert.ok(Math.abs(vector[d]! - x) < 1e-6, `text ${i} dim ${d}: ${vector[d]} vs ${x}`)));
  assert.ok(cosine(kitten!, (await embedder.embed(['cat']))[0]!) > cosine(kitten!, (await embedder.embed(['market']))[0]!));
});

test('all-MiniLM-L6-v2 resolves to its hub id folder, and fails with how-to-get-it when absent and remote loading is off', async () => {
  await assert.rejects(offline.resolve('all-MiniLM-L6-v2'), (error: Error) => {
    assert.ok(error instanceof EmbedderUnavailableError);
    assert.match(error.message, /all-MiniLM-L6-v2" is not installed/);
    assert.match(error.message, /MODELS_ALLOW_REMOTE=true skysift models pull all-MiniLM-L6-v2/);
    assert.match(error.message, /universal-sentence-encoder/);
    return true;
  });
  const dir = path.join(root, 'hub-layout');
  writeTinyBert(dir, 'Xenova/all-MiniLM-L6-v2');
  const embedder = await new EmbedderRegistry({ modelsDir: dir, allowRemote: false }).resolve('all-MiniLM-L6-v2');
  assert.equal(embedder.name, 'all-MiniLM-L6-v2');
  assert.equal(embedder.dimensions, 4);
});

test('embedding provider: one embedding per (model, text), micro-batches of the configured size, LRU cache across rounds', async () => {
  const registry = new EmbedderRegistry({ modelsDir, allowRemote: false });
  const embedder = await registry.resolve('tiny-bert');
  const batches: number[] = [];
  const embed = embedder.embed.bind(embedder);
  embedder.embed = async (texts) => {
    batches.push(texts.length);
    return embed(texts);
  };
  const provider = createEmbeddingProvider(registry, { batchSize: 2, cacheSize: 3 });
  const texts = ['cat', 'dog', 'cat', 'rain', 'stock', 'dog'];
  const first = (await provider.compute(texts.map((text) => ({ model: 'tiny-bert', text })))) as Float32Array[];
  assert.deepEqual(batches, [2, 2], 'four distinct texts in batches of two');
  assert.equal(first[0], first[2], 'the same text gets the same vector');
  assert.deepEqual([...first[1]!], [...unit(WORDS.dog!)].map(Math.fround));
  await provider.compute([
    { model: 'tiny-bert', text: 'stock' },
    { model: 'tiny-bert', text: 'rain' },
  ]);
  assert.deepEqual(batches, [2, 2], 'recent texts come from the cache');
  await provider.compute([{ model: 'tiny-bert', text: 'cat' }]);
  assert.deepEqual(batches, [2, 2, 1], 'the cache holds three, so the oldest was forgotten');
  assert.equal(provider.embedded.get('tiny-bert'), 5);
  assert.notEqual(embeddingKey('tiny-bert', 'cat'), embeddingKey('universal-sentence-encoder', 'cat'), 'keys include the model');
  const long = 'the weather today '.repeat(100);
  assert.ok(embeddingKey('tiny-bert', long).length < 100, 'a long text is keyed by a digest');
  assert.notEqual(embeddingKey('tiny-bert', long), embeddingKey('tiny-bert', `${long}!`));
  assert.notEqual(embeddingKey('tiny-bert', long.slice(3)), embeddingKey('tiny-bert', long));
});

test('embedding provider with the cache off: each round embeds its distinct texts once, answers in input order, keeps nothing', async () => {
  const registry = new EmbedderRegistry({ modelsDir, allowRemote: false });
  const embedder = await registry.resolve('tiny-bert');
  const sent: string[][] = [];
  const embed = embedder.embed.bind(embedder);
  embedder.embed = async (texts) => {
    sent.push(texts);
    return embed(texts);
  };
  const provider = createEmbeddingProvider(registry, { batchSize: 16, cacheSize: 0 });
  const texts = ['rain', 'cat', 'rain', 'dog', 'cat'];
  const vectors = (await provider.compute(texts.map((text) => ({ model: 'tiny-bert', text })))) as Float32Array[];
  assert.deepEqual(sent, [['cat', 'dog', 'rain']], 'distinct texts, shortest first');
  texts.forEach((text, i) => assert.deepEqual([...vectors[i]!], [...unit(WORDS[text]!)].map(Math.fround), text));
  assert.equal(vectors[0], vectors[2]);
  await provider.compute([{ model: 'tiny-bert', text: 'cat' }]);
  assert.deepEqual(sent.at(-1), ['cat'], 'nothing was cached');
  assert.equal(provider.embedded.get('tiny-bert'), 4);
});

test('LruCache forgets the least recently used entry', () => {
  const cache = new LruCache<number>(2);
  cache.set('a', 1);
  cache.set('b', 2);
  assert.equal(cache.get('a'), 1);
  cache.set('c', 3);
  assert.equal(cache.get('b'), undefined);
  assert.equal(cache.get('a'), 1);
  assert.equal(cache.size, 2);
});

test('skysift models pull: refuses without MODELS_ALLOW_REMOTE, reports a model already in MODELS_DIR', async () => {
  const refused = await runCli(['models', 'pull', 'all-MiniLM-L6-v2'], { MODELS_DIR: modelsDir, MODELS_ALLOW_REMOTE: 'false' });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /set MODELS_ALLOW_REMOTE=true/);
  assert.equal(fs.existsSync(path.join(modelsDir, 'Xenova')), false, 'nothing downloaded');
  const local = await runCli(['models', 'pull', 'tiny-bert'], { MODELS_DIR: modelsDir, MODELS_ALLOW_REMOTE: 'false' });
  assert.equal(local.code, 0, local.stderr);
  assert.match(local.stdout, /tiny-bert: ready .* \(4 dimensions\)/);
});
