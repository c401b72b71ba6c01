import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateBatch, EvaluationError, isDecided } from '../src/evaluate/index.ts';
import { compileManifest } from '../src/manifests/load.ts';
import { and, not, or } from '../src/operators/logic.ts';
import { LENGTH, post, testRegistry } from './support/test-operators.ts';

async function compiled(filter: unknown, value = 'test-label') {
  const setup = testRegistry();
  const { manifest, problems } = await compileManifest('m.json', JSON.stringify({ label: { value }, filter }), { registry: setup.registry });
  assert.deepEqual(problems, []);
  return { manifest: manifest!, ...setup };
}

describe('evaluator', () => {
  it('runs cheap leaves before expensive ones and records skipped leaves', async () => {
    const { manifest, providers, calls } = await compiled({ and: [{ length_score_above: [3] }, { contains: ['election'] }] });
    const [verdict] = await evaluateBatch([post('cats and dogs')], [manifest], providers);
    assert.equal(verdict!.matched, false);
    assert.equal(calls.scored, 0, 'the expensive leaf never ran');
    assert.equal(calls.provider, 0, 'no feature was computed');
    assert.deepEqual(
      verdict!.explanation.map((e) => [e.path, e.result]),
      [
        ['filter.and', false],
        ['filter.and[1].contains', false],
        ['filter.and[0].length_score_above', 'skipped'],
      ],
    );
  });

  it('computes pending features once per batch, deduplicated, then decides', async () => {
    const { manifest, providers, calls } = await compiled({ and: [{ contains: ['vote'] }, { long_text: [10] }] });
    const posts = [post('vote now', 1), post('vote for the school board', 2), post('vote now', 3), post('no', 4)];
    const verdicts = await evaluateBatch(posts, [manifest], providers);
    assert.deepEqual(
      verdicts.map((v) => v.matched),
      [false, true, false, false],
    );
    assert.equal(calls.provider, 1);
    assert.deepEqual(calls.inputs.sort(), ['vote for the school board', 'vote now']);
    const scoredLeaf = verdicts[1]!.explanation.find((e) => e.op === 'long_text');
    assert.equal(scoredLeaf?.score, 'vote for the school board'.length);
  });

  it('lets a decided sibling win over a pending one in or, and applies not', async () => {
    const { manifest, providers, calls } = await compiled({ or: [{ long_text: [1000] }, { not: { contains: ['x'] } }] });
    const verdicts = await evaluateBatch([post('abc'), post('xyz')], [manifest], providers);
    assert.deepEqual(
      verdicts.map((v) => v.matched),
      [true, false],
    );
    assert.equal(calls.provider, 1, 'only the post that not(contains x) did not decide needed the feature');
    assert.deepEqual(calls.inputs, ['xyz']);
  });

  it('rejects an empty and (it would label every post) and an empty or, and ignores metadata', async () => {
    const problems = async (filter: unknown) => (await compileManifest('m.json', JSON.stringify({ label: { value: 'x' }, filter }), { registry: testRegistry().registry })).problems;
    assert.deepEqual(await problems({ and: [], metadata: { note: 'x' } }), [{ path: 'filter.and', message: 'an empty "and" would match every post: give it at least one condition' }]);
    assert.deepEqual(await problems({ or: [{ contains: ['a'] }, { or: [] }] }), [{ path: 'filter.or[1].or', message: 'an empty "or" would match no post: give it at least one condition' }]);
    const annotated = await compiled({ and: [{ contains: ['a'], metadata: { note: 'leaf note' } }], metadata: { note: 'x' } });
    assert.deepEqual((await evaluateBatch([post('a')], [annotated.manifest])).map((v) => v.matched), [true]);
  });

  it('records the result of every logic node in the explanation, before its children, in the order they ran', async () => {
    const { manifest } = await compiled({ or: [{ and: [{ contains: ['a'] }, { not: { contains: ['b'] } }] }, { contains: ['z'] }] });
    const [verdict] = await evaluateBatch([post('a b')], [manifest]);
    assert.deepEqual(
      verdict!.explanation.map((e) => [e.path, e.result]),
      [
        ['filter.or', false],
        ['filter.or[1].contains', false],
        ['filter.or[0].and', false],
        ['filter.or[0].and[0].contains', true],
        ['filter.or[0].and[1].not', false],
        ['filter.or[0].and[1].not.contains', true],
      ],
    );
  });

  it('gives one verdict per post and manifest, in order', async () => {
    const m1 = await compiled({ contains: ['a'] }, 'has-a');
    const m2 = await compiled({ contains: ['b'] }, 'has-b');
    const verdicts = await evaluateBatch([post('a', 1), post('b', 2)], [m1.manifest, m2.manifest]);
    assert.deepEqual(
      verdicts.map((v) => `${v.uri.slice(-1)}:${v.label}:${v.matched}`),
      ['1:has-a:true', '1:has-b:false', '2:has-a:false', '2:has-b:true'],
    );
    assert.equal(verdicts[0]!.manifestVersion, m1.manifest.version);
  });

  it('leaves a manifest undecided when its feature failed, even under not', async () => {
    const { manifest, providers } = await compiled({ not: { long_text: [3] } });
    const [failed, decided] = await evaluateBatch([post('FAIL here', 1), post('ok', 2)], [manifest], providers);
    assert.equal(failed!.matched, null);
    assert.equal(failed!.matched === null && failed!.undecided, 'length service failed');
    assert.deepEqual(
      failed!.explanation.map((e) => [e.op, e.result]),
      [
        ['not', 'undecided'],
        ['long_text', 'undecided'],
      ],
    );
    assert.deepEqual(failed!.explanation[1]!.inputs, { reason: 'length service failed' });
    assert.equal(decided!.matched, true, 'the other post of the batch is decided as usual');
    assert.equal(isDecided(failed!), false);
    assert.equal(isDecided(decided!), true);
  });

  it('lets decided siblings settle and/or over a failed leaf (three-valued logic)', async () => {
    const and = await compiled({ and: [{ contains: ['vote'] }, { long_text: [3] }] }, 'and-label');
    const or = await compiled({ or: [{ contains: ['vote'] }, { not: { long_text: [3] } }] }, 'or-label');
    const verdicts = await evaluateBatch([post('FAIL vote', 1), post('FAIL', 2)], [and.manifest, or.manifest], and.providers);
    assert.deepEqual(
      verdicts.map((v) => `${v.uri.slice(-1)}:${v.label}:${v.matched}`),
      ['1:and-label:null', '1:or-label:true', '2:and-label:false', '2:or-label:null'],
    );
  });

  it('reports pending before undecided: a pending sibling may still decide the node', () => {
    const failed = { undecided: 'boom' };
    const request = [{ kind: LENGTH, key: 'k', input: 'k' }];
    assert.deepEqual(or.combine([failed, request]), request);
    assert.deepEqual(and.combine([request, failed]), request);
    assert.equal(and.combine([true, failed]), failed);
    assert.equal(or.combine([false, failed]), failed);
    assert.equal(not.combine([failed]), failed);
  });

  it('fails loudly when a provider does not satisfy a leaf', async () => {
    const { manifest } = await compiled({ long_text: [1] });
    const broken = new Map([['length', { kind: LENGTH, compute: async (inputs: unknown[]) => inputs.map(() => undefined) }]]);
    await assert.rejects(evaluateBatch([post('abc')], [manifest], broken), EvaluationError);
    await assert.rejects(evaluateBatch([post('abc')], [manifest], new Map()), /no feature provider named "length"/);
  });
});
