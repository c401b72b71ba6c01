import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompletionContext } from '@codemirror/autocomplete';
import { EditorState } from '@codemirror/state';
import { segments, rangeOf, offsetOfLineColumn } from '../src/console/web/json-paths.ts';
import { schemaCompletion, schemasAt, type JsonSchema } from '../src/console/web/schema-completion.ts';
import { manifestJsonSchema } from '../src/manifests/json-schema.ts';
import { compileManifest } from '../src/manifests/load.ts';
import { operators } from '../src/operators/index.ts';

const schema = manifestJsonSchema() as JsonSchema;

/** The completions offered with the cursor at `|` in `text`. */
function completions(marked: string): string[] {
  const pos = marked.indexOf('|');
  const state = EditorState.create({ doc: marked.replace('|', '') });
  const result = schemaCompletion(() => schema)(new CompletionContext(state, pos, true));
  return result?.options.map((o) => o.label) ?? [];
}

describe('console editor: completion from the manifest JSON Schema, problems placed by JSON path', () => {
  it('offers every operator where a condition key goes, inside nested logic too, with its description', () => {
    const offered = completions('{"filter": {"and": [{"regex_m|"}]}}');
    for (const name of operators.keys()) assert.ok(offered.includes(name), `${name} offered`);
    assert.ok(offered.includes('and') && offered.includes('not'));
    const state = EditorState.create({ doc: '{"filter": {"|' });
    const info = schemaCompletion(() => schema)(new CompletionContext(state, 13, true))?.options.find((o) => o.label === 'regex_matches')?.info;
    assert.equal(info, operators.get('regex_matches')!.description);
  });

  it('offers the keys of the label block and the values of its enums', () => {
    assert.ok(completions('{"label": {"|"}}').includes('severity'));
    assert.deepEqual(completions('{"label": {"severity": |}}').sort(), ['"alert"', '"inform"', '"none"']);
    assert.deepEqual(completions('{"label": {"value": |}}'), [], 'a free string has nothing to offer');
  });

  it('follows arrays and references: the arguments of an operator under and/or/not', () => {
    const [regex] = schemasAt(schema, ['filter', 'or', 0, 'not']);
    assert.ok(regex?.properties?.regex_any, 'a condition under not');
  });

  it("places the loader's problems on the JSON path they name (or its nearest existing ancestor)", async () => {
    const text = JSON.stringify({ label: { value: 'x' }, filter: { or: [{ regex_match: ['text', 'x'] }] } }, null, 2);
    const { problems } = await compileManifest('m.json', text);
    assert.equal(problems[0]!.path, 'filter.or[0].regex_match');
    assert.deepEqual(segments(problems[0]!.path), ['filter', 'or', 0, 'regex_match']);
    const range = rangeOf(text, problems[0]!.path);
    assert.ok(text.slice(range.from, range.to).startsWith('"regex_match": ['), 'the key and its value');
    const missing = rangeOf(text, 'label.locales[0].name');
    assert.ok(text.slice(missing.from, missing.to).startsWith('"label": {'), 'an absent node: its nearest ancestor');
    const broken = '{\n  "label": ,\n}';
    const syntax = (await compileManifest('m.json', broken)).problems[0]!;
    assert.equal(broken[offsetOfLineColumn(broken, syntax.message)!], ',');
  });
});
