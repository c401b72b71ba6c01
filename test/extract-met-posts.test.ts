import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { readUnlabelled } from '../src/models/distill/data.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-met-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const script = new URL('../scripts/extract-met-posts.ts', import.meta.url).pathname;

/** A git repository shaped like the MET research repo's data folders, with two commits. */
function metRepo(): string {
  const repo = path.join(root, 'repo');
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
  const write = (file: string, content: string) => {
    fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    fs.writeFileSync(path.join(repo, file), content);
  };
  fs.mkdirSync(repo);
  git('init', '-q');
  write('services/rank_posts/posts.csv', 'uri,text\nat://did:plc:alice/app.bsky.feed.post/1,"an old post, later removed"\n');
  write('services/sync/feed.jsonl', `${JSON.stringify({ author: { did: 'did:plc:bob' }, record: { text: 'a synced post' } })}\nnot json\n`);
  write('services/ml_inference/synthetic_data/records.csv', 'text\nmade up by a model\n');
  write('demos/labeling/prompts.json', JSON.stringify([{ text: 'You are a careful annotator. Label this post.' }, { uri: 'at://did:plc:carol/x/1', text: 'a labelled post' }]));
  write('README.md', 'text: not data');
  git('add', '.');
  git('commit', '-q', '-m', 'first');
  write('services/rank_posts/posts.csv', 'uri,text\nat://did:plc:alice/app.bsky.feed.post/2,a new post\n');
  git('commit', '-q', '-am', 'second');
  return repo;
}

test('extract:met-posts collects the post texts of every version of the data files, with their authors, and nothing synthetic', () => {
  const out = path.join(root, 'met_posts.csv');
  const run = spawnSync(process.execPath, ['--import', 'tsx', script, '--repo', metRepo(), '--out', out], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /4 post texts \(4 with an author\)/);
  const posts = readUnlabelled(out).sort((a, b) => a.text.localeCompare(b.text));
  assert.deepEqual(posts, [
    { text: 'a labelled post', author: 'did:plc:carol' },
    { text: 'a new post', author: 'did:plc:alice' },
    { text: 'a synced post', author: 'did:plc:bob' },
    { text: 'an old post, later removed', author: 'did:plc:alice' },
  ]);
});

test('extract:met-posts says what is missing in one line and exits 2', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', script, '--repo', path.join(root, 'nowhere'), '--out', path.join(root, 'x.csv')], { encoding: 'utf8' });
  assert.equal(run.status, 2);
  assert.equal(run.stderr.split('\n')[0], `${path.join(root, 'nowhere')} does not exist`);
  assert.match(run.stderr, /usage: npm run extract:met-posts/);
});
