import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { evaluateBatch } from '../src/evaluate/index.ts';
import { GOLDEN_FILE, goldenManifests, goldenPosts, goldenText } from './support/evaluation-golden.ts';

describe('evaluation golden file (test/golden/evaluation.jsonl, regenerated only by npm run golden)', () => {
  it('verdicts and explanations on the recorded traffic are those of the golden file', async () => {
    const manifests = await goldenManifests();
    const expected = fs.readFileSync(GOLDEN_FILE, 'utf8').split('\n');
    const actual = goldenText(await evaluateBatch(goldenPosts(), manifests), manifests.length).split('\n');
    assert.equal(actual.length, expected.length);
    for (const [i, line] of actual.entries()) assert.equal(line, expected[i], `post ${i + 1} of the recorded traffic`);
  });
});
