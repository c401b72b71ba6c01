import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { generatedDocs } from '../src/manifests/docs.ts';
import { manifestJsonSchema } from '../src/manifests/json-schema.ts';
import { operators } from '../src/operators/index.ts';
import { ROOT } from './support/cli.ts';

type Schema = { title?: string; description?: string; prefixItems?: Schema[]; properties?: Record<string, Schema>; additionalProperties?: unknown };

describe('generated manifest docs', () => {
  it('are current: regenerating docs/operators.md and docs/manifest.schema.json changes nothing (npm run docs)', () => {
    for (const [file, content] of generatedDocs()) {
      assert.ok(fs.existsSync(file), `${file} is missing: run npm run docs`);
      assert.equal(fs.readFileSync(file, 'utf8'), content, `${path.relative(ROOT, file)} is out of date: run npm run docs`);
    }
  });

  it('give every operator and every argument position a title and a description', () => {
    const schema = manifestJsonSchema() as { $defs: { condition: Schema } };
    const condition = schema.$defs.condition;
    assert.equal(condition.additionalProperties, false);
    for (const name of ['and', 'or', 'not', 'each', ...operators.keys()]) {
      const op = condition.properties?.[name];
      assert.ok(op?.title && op.description, `${name} has a title and a description`);
      for (const [i, position] of (op.prefixItems ?? []).entries()) assert.ok(position.title && position.description, `${name}[${i}] has a title and a description`);
    }
    assert.ok((condition.properties?.regex_any?.prefixItems?.length ?? 0) === 4, 'tuple positions are named one by one');
  });

  it('validate the shipped manifests, and a misspelt operator gives one error, not one per operator', () => {
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(manifestJsonSchema() as object);
    for (const dir of [path.join(ROOT, 'manifests'), path.join(ROOT, 'manifests', 'examples')]) {
      for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
        assert.ok(validate(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'))), `${file}: ${JSON.stringify(validate.errors)}`);
      }
    }
    assert.equal(validate({ label: { value: 'x' }, filter: { and: [{ regex_matchs: ['text', 'x'] }] } }), false);
    assert.deepEqual(
      validate.errors?.map((e) => [e.instancePath, e.keyword, e.params]),
      [['/filter/and/0', 'additionalProperties', { additionalProperty: 'regex_matchs' }]],
    );
    assert.equal(validate({ label: { value: 'x' }, filter: { regex_any: ['text', 'apple'] } }), false);
    assert.deepEqual([...new Set(validate.errors?.map((e) => e.instancePath))], ['/filter/regex_any/1'], 'a wrong argument is reported under its operator only');
    assert.ok(validate({ label: { value: 'x' }, params: { WORDS: ['a'] }, filter: { regex_any: ['text', '$WORDS'] } }), 'a "$NAME" parameter may stand for any argument');
  });
});
