import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { XGBoostModel } from '../src/models/xgboost.ts';
import { sharedData } from './support/shared.ts';

const read = (name: string) => JSON.parse(fs.readFileSync(sharedData(`xgboost/${name}`), 'utf8'));

function expectedRows(name: string): { row: (number | null)[]; prediction: number }[] {
  const [header, ...lines] = fs.readFileSync(sharedData(`xgboost/${name}`), 'utf8').trim().split('\n');
  const columns = header!.split(',');
  assert.deepEqual(columns.slice(-2), ['target', 'prediction']);
  return lines.map((line) => {
    const cells = line.split(',');
    return { row: cells.slice(0, -2).map((c) => (c.trim() === '' ? null : Number(c))), prediction: Number(cells.at(-1)) };
  });
}

describe('XGBoost scorer', () => {
  for (const model of ['airline_binary_logistic', 'airline_reg_squarederror']) {
    it(`reproduces XGBoost's own predictions for every row of ${model} to 1e-6`, () => {
      const scorer = XGBoostModel.fromJson(read(`${model}.model.json`));
      const rows = expectedRows(`${model}.expected.csv`);
      assert.ok(rows.length >= 40);
      for (const [i, { row, prediction }] of rows.entries()) {
        assert.ok(Math.abs(scorer.predict(row) - prediction) <= 1e-6, `row ${i}: ${scorer.predict(row)} vs ${prediction}`);
      }
    });
  }

  it('follows default_left for missing values', () => {
    const scorer = XGBoostModel.fromJson(read('airline_binary_logistic.model.json'));
    const { row } = expectedRows('airline_binary_logistic.expected.csv')[0]!;
    const missing = row.map(() => null);
    const p = scorer.predict(missing);
    assert.ok(p > 0 && p < 1);
    assert.equal(scorer.predict(row.map(() => Number.NaN)), p, 'NaN and null are both missing');
  });

  it('accepts both base_score spellings with the same result', () => {
    const json = read('airline_binary_logistic.model.json');
    const plain = XGBoostModel.fromJson(json);
    json.learner.learner_model_param.base_score = `[${json.learner.learner_model_param.base_score}]`;
    const bracketed = XGBoostModel.fromJson(json);
    const { row } = expectedRows('airline_binary_logistic.expected.csv')[1]!;
    assert.equal(bracketed.predict(row), plain.predict(row));
  });

  it('refuses a row with the wrong number of features', () => {
    const scorer = XGBoostModel.fromJson(read('airline_binary_logistic.model.json'));
    assert.throws(() => scorer.predict([1, 2, 3]), /expects 22 features, got 3/);
  });
});
