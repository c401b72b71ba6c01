import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { DEFAULT_FIT, fitTable, unit } from '../src/models/distill/fit.ts';
import { bagOfWordsCopy } from '../src/models/distill/evaluate.ts';
import { StaticEmbedder } from '../src/models/embedders/static.ts';
import { fittable, partOf, RANDOM_TRAFFIC_VALIDATION, readUnlabelled, splitUnlabelled, wordSpans, type Part, type PoolPost } from '../src/models/distill/data.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-distill-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** The first made-up author the split puts in `part`. */
function authorIn(part: Part, from = 0): string {
  for (let i = from; ; i++) if (partOf({ author: `did:plc:author${i}` }) === part) return `did:plc:author${i}`;
}

test('unlabelled posts are read from one-post-a-line text files and from CSV columns named …Text with their …DID', () => {
  const txt = path.join(root, 'sample.txt');
  fs.writeFileSync(txt, 'first post\n  second post  \n\n');
  assert.deepEqual(readUnlabelled(txt), [
    { text: 'first post', author: null },
    { text: 'second post', author: null },
    { text: '', author: null },
    { text: '', author: null },
  ]);
  const csv = path.join(root, 'posts.csv');
  fs.writeFileSync(csv, '\uFEFFDID,Text,LikeCount,Parent DID,Parent Text,Quoted Text\ndid:plc:a,"hello, world",3,did:plc:b,"a parent\non two lines",\n');
  assert.deepEqual(readUnlabelled(csv), [
    { text: 'hello, world', author: 'did:plc:a' },
    { text: 'a parent\non two lines', author: 'did:plc:b' },
    { text: '', author: null },
  ]);
  const json = path.join(root, 'posts.json');
  fs.writeFileSync(json, '[]');
  assert.throws(() => readUnlabelled(json), /expected a \.txt file .* or a \.csv file/);
});

test('only texts the measurement never sees are fitted on: build authors, no held-out or validating author, no line of a measured post', () => {
  const [build, heldOut, validation] = [authorIn('build'), authorIn('held-out'), authorIn('validation')];
  const post = (text: string, author: string | null): PoolPost => ({ id: text, text, author, source: 'test' });
  const pool = [post('a build post', build), post('a held-out post\nwith a second line', heldOut), post('a validating post', validation), post('a random jetstream post', null)];
  const candidates = [
    { text: 'by a build author', author: authorIn('build', Number(build.slice(14)) + 1) },
    { text: 'by a held-out author the pool never saw', author: authorIn('held-out', Number(heldOut.slice(14)) + 1) },
    { text: 'by a validating author', author: validation },
    { text: 'a random jetstream post', author: null },
    { text: 'with a second line', author: null },
    { text: 'a build post', author: null },
    { text: 'a new line of the sample', author: null },
    { text: 'a new line of the sample', author: null },
    { text: '', author: null },
  ];
  assert.deepEqual(fittable(candidates, pool), ['by a build author', 'a new line of the sample']);
});

test('a tenth of the authorless unlabelled posts, by a hash of the text, validate instead of fitting; posts with an author always fit', () => {
  const build = authorIn('build');
  const authorless = Array.from({ length: 2000 }, (_, i) => ({ text: `random post ${(i * 2654435761) % 1000003} of ${i}`, author: null }));
  const authored = Array.from({ length: 200 }, (_, i) => ({ text: `authored post ${i}`, author: build }));
  const { fit, validation } = splitUnlabelled([...authorless, ...authored], []);
  assert.equal(fit.length + validation.length, 2200);
  assert.ok(Math.abs(validation.length / 2000 - RANDOM_TRAFFIC_VALIDATION) < 0.03, `${validation.length} of 2000 validate`);
  assert.ok(validation.every((t) => t.startsWith('random post')));
  assert.ok(authored.every((a) => fit.includes(a.text)));
  // The same text decides the same way whatever else the files hold.
  assert.deepEqual(splitUnlabelled([...authorless].reverse(), []).validation.sort(), [...validation].sort());
});

test('spans for fitting are runs of 30–80% of the words of texts of 8 words or more, seeded, never a text itself', () => {
  const long = 'one two three four five six seven eight nine ten';
  const texts = [long, 'too short to cut', 'a b c d e f g\nh i j k'];
  const spans = wordSpans(texts, 1);
  assert.deepEqual(spans, wordSpans(texts, 1));
  assert.equal(spans.length, 2);
  for (const span of spans) {
    const words = span.split(' ');
    assert.ok(words.length >= 3 && words.length <= 8, span);
    assert.ok(!span.includes('\n'));
    assert.ok(long.includes(span) || 'a b c d e f g h i j k'.includes(span), span);
  }
  assert.notDeepEqual(wordSpans([long, long + ' eleven', long + ' twelve'], 1), wordSpans([long, long + ' eleven', long + ' twelve'], 2));
});

test('a bag-of-words copy holds the lower-cased words of the text in a seeded order that the static embedder cannot tell apart', () => {
  const text = 'Senators VOTE today on a new budget, after the long debate in our House';
  const copy = bagOfWordsCopy(text, 1);
  assert.deepEqual(copy.split(' ').sort(), text.toLowerCase().split(' ').sort());
  assert.equal(bagOfWordsCopy(text, 1), copy);
  assert.notEqual(bagOfWordsCopy(text, 2), copy);
  // Seeded by the text too: two texts of as many words are not shuffled alike.
  const other = 'a b c d e f g h i j k l m n';
  const order = (shuffledText: string, original: string) => shuffledText.split(' ').map((word) => original.toLowerCase().split(' ').indexOf(word));
  assert.notDeepEqual(order(bagOfWordsCopy(other, 1), other), order(copy, text));
  const embedder = StaticEmbedder.load();
  const [a, b] = embedder.embedSync([text, copy]);
  assert.ok(a!.every((x, k) => Math.abs(x - b![k]!) < 1e-6));
});

test('the build script names what is wrong with its arguments in one line and exits 2', () => {
  const script = new URL('../src/models/distill/main.ts', import.meta.url).pathname;
  const data = path.join(root, 'data');
  fs.mkdirSync(data);
  fs.writeFileSync(path.join(data, 'bluesky_pool.jsonl'), '');
  const missing = path.join(root, 'nowhere.txt');
  const run = spawnSync(process.execPath, ['--import', 'tsx', script, '--data', data, '--unlabelled', missing], { encoding: 'utf8' });
  assert.equal(run.status, 2);
  assert.equal(run.stderr.split('\n')[0], `${missing} does not exist`);
  assert.match(run.stderr, /usage: npm run train:static-embedder/);
});

test('tokenlearn fitting brings texts towards their targets, and late epochs are averaged without changing the training path', () => {
  const dimensions = 8;
  const random = (i: number) => Math.sin(i * 12.9898) * 0.5;
  const start = Float32Array.from({ length: 5 * dimensions }, (_, i) => random(i));
  const bags = [
    [0, 1],
    [1, 2],
    [2, 3, 4],
    [0, 4],
  ].map((rows) => ({ rows: Int32Array.from(rows), weights: new Float32Array(rows.length).fill(1) }));
  const targets = bags.map((_, t) => unit(Float32Array.from({ length: dimensions }, (_, k) => random(100 + t * dimensions + k))));
  const agreement = (table: Float32Array) =>
    bags.reduce((sum, bag, t) => {
      const v = new Float32Array(dimensions);
      for (const row of bag.rows) for (let k = 0; k < dimensions; k++) v[k]! += table[row * dimensions + k]!;
      return sum + unit(v).reduce((s, x, k) => s + x * targets[t]![k]!, 0) / bags.length;
    }, 0);
  const options = { ...DEFAULT_FIT, epochs: 30, batchSize: 2, learningRate: 0.02 };
  const plain: Float32Array[] = [];
  const fitted = fitTable(start, dimensions, bags, targets, { ...options, averageFrom: 0 }, (table) => (plain.push(Float32Array.from(table)), agreement(table)));
  assert.equal(fitted.history.length, 31);
  assert.ok(fitted.score > agreement(start) + 0.2, `mean cosine ${agreement(start).toFixed(3)} → ${fitted.score.toFixed(3)}`);
  const averaged: Float32Array[] = [];
  fitTable(start, dimensions, bags, targets, { ...options, averageFrom: 3 }, (table) => (averaged.push(Float32Array.from(table)), agreement(table)));
  assert.deepEqual(averaged.slice(0, 3), plain.slice(0, 3), 'before averageFrom the plain tables are scored');
  for (const epoch of [3, 4, 17, 30]) {
    const since = plain.slice(3, epoch + 1);
    const mean = since[0]!.map((_, i) => since.reduce((s, t) => s + t[i]!, 0) / since.length);
    for (let i = 0; i < mean.length; i++) assert.ok(Math.abs(averaged[epoch]![i]! - mean[i]!) < 1e-5, `epoch ${epoch}, value ${i}`);
  }
});
