import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fittable, partOf, readUnlabelled, type Part, type PoolPost } from '../src/models/distill/data.ts';

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
