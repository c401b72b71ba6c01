import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { labelValueDefinitions } from '../src/manifests/label.ts';
import { compileManifest, loadManifests } from '../src/manifests/load.ts';
import { grazeOnly, grazeOnlyMessage } from '../src/operators/graze-only.ts';
import { operators } from '../src/operators/index.ts';
import { runCli } from './support/cli.ts';
import { fixture } from './support/fixtures.ts';
import { testRegistry } from './support/test-operators.ts';

const dirs: string[] = [];
function manifestDir(files: Record<string, string | object>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-manifests-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return dir;
}
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const good = { label: { value: 'good', locales: [{ lang: 'en', name: 'Good', description: 'A good post.' }] }, filter: { and: [{ contains: ['a'] }] } };

describe('manifest validation', () => {
  it('reports five different mistakes at once, each with file and JSON path, and keeps the valid manifest', async () => {
    const dir = manifestDir({
      'a-good.json': good,
      'b-unknown-op.json': { label: { value: 'b' }, filter: { and: [{ contains: ['x'] }, { or: [] }, { contians: ['y'] }] } },
      'c-bad-label.json': { label: { value: 'Bad Label!' }, filter: { contains: ['a'] } },
      'd-password.json': { label: { value: 'd' }, filter: { contains: ['a'] }, author: { handle: 'me.bsky.social', password: 'hunter2' } },
      'e-arity.json': { label: { value: 'e' }, filter: { or: [{ length_score_above: ['ten', 3] }] } },
      'f-json.json': '{\n  "label": { "value": "f" },\n  "filter": { "and": [ }\n}',
    });
    const { manifests, problems } = await loadManifests(dir, { registry: testRegistry().registry });
    assert.deepEqual(manifests.map((m) => m.label.value), ['good']);
    const find = (file: string) => problems.filter((p) => path.basename(p.file) === file);
    assert.deepEqual(find('b-unknown-op.json').map((p) => p.path), ['filter.and[1].or', 'filter.and[2].contians']);
    assert.match(find('b-unknown-op.json')[1]!.message, /unknown operator "contians" \(did you mean "contains"\?\)/);
    assert.deepEqual(find('c-bad-label.json').map((p) => p.path), ['label.value']);
    assert.deepEqual(find('d-password.json').map((p) => p.path), ['author.password']);
    assert.match(find('d-password.json')[0]!.message, /plaintext password/);
    assert.ok(!JSON.stringify(problems).includes('hunter2'), 'the secret is not echoed');
    assert.ok(find('e-arity.json').some((p) => p.path === 'filter.or[0].length_score_above[0]'));
    assert.match(find('f-json.json')[0]!.message, /invalid JSON at line 3, column \d+/);
  });

  it('rejects two manifests with the same label, naming both files', async () => {
    const dir = manifestDir({ 'one.json': good, 'two.json': good });
    const { manifests, problems } = await loadManifests(dir, { registry: testRegistry().registry });
    assert.equal(manifests.length, 1);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /also defined by .*one\.json/);
    assert.match(problems[0]!.file, /two\.json$/);
  });

  it("names Graze's classifier operators with what to use instead, and rejects non-object nodes", async () => {
    // Operator names registered in grazer app/algos/operators/{sentiment,image_nsfw,toxicity}.py.
    const dir = manifestDir({ 'p.json': { label: { value: 'p' }, filter: { and: [{ sentiment_analysis: ['Positive', '>=', 0.8] }, 'text', { language_analysis: ['English', '>=', 0.5] }] } } });
    const { problems } = await loadManifests(dir);
    assert.deepEqual(
      problems.map((p) => [p.path, p.message]),
      [
        ['filter.and[0].sentiment_analysis', '"sentiment_analysis" is a Graze operator that skysift does not offer: use text_similarity with an anchor text, model_probability with a model you train on your own labels (skysift train), or llm_classification'],
        ['filter.and[1]', 'a filter node must be an object with one operator, e.g. {"and": [...]}'],
        ['filter.and[2].language_analysis', '"language_analysis" is a Graze operator that skysift does not offer: use entity_matches ["langs", [...]] (the languages the author declared)'],
      ],
    );
  });

  it('answers every Graze operator it does not run with a pointer, never "unknown operator"', async () => {
    // Operator names registered in grazer app/algos/operators/*.py.
    for (const [name, entry] of grazeOnly) {
      if (operators.has(name)) continue;
      const { problems } = await compileManifest('m.json', JSON.stringify({ label: { value: 'm' }, filter: { [name]: ['x', '>=', 0.5] } }));
      assert.deepEqual(problems, [{ path: `filter.${name}`, message: grazeOnlyMessage(name, entry) }]);
      assert.match(problems[0]!.message, /is a Graze operator that skysift does not offer: use /);
    }
  });

  it('fills label defaults and builds labelValueDefinitions for the declaration', async () => {
    const dir = manifestDir({ 'g.json': good });
    const { manifests } = await loadManifests(dir, { registry: testRegistry().registry });
    assert.deepEqual(labelValueDefinitions(manifests.map((m) => m.label)), [
      { identifier: 'good', severity: 'inform', blurs: 'none', defaultSetting: 'warn', adultOnly: false, locales: good.label.locales },
    ]);
  });

  it('versions a manifest by its content', async () => {
    const a = await loadManifests(manifestDir({ 'g.json': good }), { registry: testRegistry().registry });
    const b = await loadManifests(manifestDir({ 'g.json': { ...good, filter: { and: [{ contains: ['b'] }] } } }), { registry: testRegistry().registry });
    assert.notEqual(a.manifests[0]!.version, b.manifests[0]!.version);
  });
});

describe('skysift manifests', () => {
  it('validate exits 1 and prints file, path and reason for each problem', async () => {
    const dir = manifestDir({ 'bad.json': { label: { value: 'UPPER' }, filter: { nope: [] } } });
    const result = await runCli(['manifests', 'validate', dir]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /bad\.json: label\.value: /);
    assert.match(result.stderr, /bad\.json: filter\.nope: unknown operator "nope"/);
  });

  it('validate reports five different mistakes in a directory, each with file and JSON path', async () => {
    const dir = manifestDir({
      'ok.json': { label: { value: 'ok' }, filter: { regex_matches: ['text', 'x'] } },
      '1.json': { label: { value: 'one' }, filter: { and: [{ regex_matches: ['text', 'x'] }, { regex_matchs: ['text', 'y'] }] } },
      '2.json': { label: { value: 'two' }, filter: { or: [{ attribute_compare: ['langs[0]', '=~', 'en'] }] } },
      '3.json': { label: { value: 'three' }, filter: { regex_any: ['text', ['a', 'b'], true, true] }, author: { handle: 'me.test', password: 'hunter2-x9' } },
      '4.json': { label: { value: 'four' }, filter: { and: [{ embed_type: ['=='] }] } },
      '5.json': { label: { value: 'five' }, filter: { not: { regex_matches: ['text', '(a)\\1'] } } },
    });
    const result = await runCli(['manifests', 'validate', dir]);
    assert.equal(result.code, 1);
    const lines = result.stderr.split('\n');
    const expectLine = (file: string, pattern: RegExp) => assert.ok(lines.some((l) => l.startsWith(path.join(dir, file)) && pattern.test(l)), `${file} ${pattern}`);
    expectLine('1.json', /filter\.and\[1\]\.regex_matchs: unknown operator "regex_matchs" \(did you mean "regex_matches"\?\)/);
    expectLine('2.json', /filter\.or\[0\]\.attribute_compare\[1\]: unknown comparator "=~"/);
    expectLine('3.json', /author\.password: plaintext password/);
    expectLine('4.json', /filter\.and\[0\]\.embed_type: wrong number of arguments for embed_type/);
    expectLine('5.json', /filter\.not\.regex_matches: regex .*: backreferences .* are not supported by RE2, the linear-time engine/);
    assert.match(result.stderr, /5 problem\(s\); 1 manifest\(s\) valid\./);
    assert.ok(!result.stderr.includes('hunter2-x9'), 'the plaintext password is not echoed');
  });

  it('validate exits 0 on the shipped manifests', async () => {
    const result = await runCli(['manifests', 'validate']);
    assert.equal(result.code, 0, result.stderr);
  });

  it('schema prints a JSON Schema with the label rules', async () => {
    const result = await runCli(['manifests', 'schema']);
    assert.equal(result.code, 0);
    const schema = JSON.parse(result.stdout);
    assert.equal(schema.properties.label.properties.value.pattern, '^[a-z-]+$');
    assert.deepEqual(schema.required.sort(), ['filter', 'label']);
  });
});

describe('shipped manifests over recorded Jetstream traffic', () => {
  it('skysift evaluate prints one verdict per post and manifest, matching what the records say', async () => {
    const capture = fixture('jetstream/expected_v1.jsonl');
    const result = await runCli(['evaluate', 'manifests', capture]);
    assert.equal(result.code, 0, result.stderr);
    const verdicts = result.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const posts = fs
      .readFileSync(capture, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.kind === 'commit' && e.commit.collection === 'app.bsky.feed.post' && e.commit.operation !== 'delete');
    const shipped = fs.readdirSync('manifests').filter((f) => f.endsWith('.json')).length;
    assert.equal(verdicts.length, posts.length * shipped);
    const nonEnglish = new Set(
      posts.filter((e) => e.commit.record.langs?.length && !e.commit.record.langs.some((l: string) => /^en(-|$)/i.test(l))).map((e) => `at://${e.did}/app.bsky.feed.post/${e.commit.rkey}`),
    );
    assert.ok(nonEnglish.size > 0, 'the capture has non-English posts');
    assert.deepEqual(new Set(verdicts.filter((v) => v.label === 'non-english' && v.matched).map((v) => v.uri)), nonEnglish);
    for (const v of verdicts) assert.ok(Array.isArray(v.explanation) && v.explanation.length > 0);
  });
});
