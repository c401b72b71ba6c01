import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { decideBatch, evaluateBatch } from '../src/evaluate/index.ts';
import { GOLDEN_FILE, goldenManifests, goldenPosts, goldenText } from './support/evaluation-golden.ts';
import { recordedTraffic } from './support/recorded-posts.ts';
import { compiledRuleManifests } from './support/rule-manifests.ts';

describe('evaluation on the recorded traffic', () => {
  it('verdicts and explanations are those of the golden file (test/golden/evaluation.jsonl, regenerated only by npm run golden)', async () => {
    const manifests = await goldenManifests();
    const expected = fs.readFileSync(GOLDEN_FILE, 'utf8').split('\n');
    const actual = goldenText(await evaluateBatch(goldenPosts(), manifests), manifests.length).split('\n');
    assert.equal(actual.length, expected.length);
    for (const [i, line] of actual.entries()) assert.equal(line, expected[i], `post ${i + 1} of the recorded traffic`);
  });

  it('the evaluation plan decides every (post, manifest) as the reference evaluation explains it, for 300 generated manifests', async () => {
    const manifests = await compiledRuleManifests(300);
    const posts = recordedTraffic();
    const decisions = await decideBatch(posts, manifests);
    let matches = 0;
    for (let i = 0; i < decisions.size; i++) {
      const reference = decisions.verdict(i);
      if (reference.matched) matches++;
      assert.equal(decisions.matched(i), reference.matched, `${reference.label} on ${reference.uri}`);
    }
    assert.ok(matches > 1000, `the generated manifests match the recorded posts often enough to compare (${matches} matches)`);
  });
});
