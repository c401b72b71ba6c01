import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { XGBoostModel, XGBoostModelError, parseBaseScore } from '../src/models/xgboost.ts';
import { loadXGBoostModel } from '../src/models/load-xgboost.ts';
import { XGBOOST_MODELS, readXGBoostCases, xgboostModelPath } from './support/xgboost-cases.ts';

for (const name of XGBOOST_MODELS) {
  test(`${name}: reproduces XGBoost's prediction to 1e-6 on every row`, () => {
    const model = loadXGBoostModel(xgboostModelPath(name));
    const cases = readXGBoostCases(name);
    assert.ok(cases.length > 40);
    cases.forEach(({ features, prediction }, row) => {
      const score = model.score(features);
      assert.ok(Math.abs(score - prediction) <= 1e-6, `row ${row}: got ${score}, XGBoost ${prediction}`);
    });
  });
}

test('objectives and tree count are read from the model', () => {
  const logistic = loadXGBoostModel(xgboostModelPath('airline_binary_logistic'));
  assert.equal(logistic.objective, 'binary:logistic');
  assert.equal(logistic.featureCount, 22);
  assert.equal(logistic.treeCount, 100);
  assert.equal(loadXGBoostModel(xgboostModelPath('airline_reg_squarederror')).objective, 'reg:squarederror');
});

/** A one-split model: feature 0 < 0.5 → left leaf, else right leaf; missing follows `defaultLeft`. */
function stump(options: { objective: string; baseScore: string; defaultLeft: 0 | 1; featureCount?: number }) {
  return {
    learner: {
      learner_model_param: { base_score: options.baseScore, num_feature: String(options.featureCount ?? 2), num_class: '0', num_target: '1' },
      objective: { name: options.objective },
      gradient_booster: {
        name: 'gbtree',
        model: {
          trees: [
            {
              left_children: [1, -1, -1],
              right_children: [2, -1, -1],
              split_indices: [0, 0, 0],
              split_conditions: [0.5, -1.5, 2.25],
              default_left: [options.defaultLeft, 0, 0],
              split_type: [0, 0, 0],
            },
          ],
        },
      },
    },
  };
}

test('missing values (null, NaN) follow default_left; present values compare with <', () => {
  const goesLeft = XGBoostModel.fromJson(stump({ objective: 'reg:squarederror', baseScore: '5E-1', defaultLeft: 1 }));
  const goesRight = XGBoostModel.fromJson(stump({ objective: 'reg:squarederror', baseScore: '5E-1', defaultLeft: 0 }));
  assert.equal(goesLeft.score([null, 7]), 0.5 - 1.5);
  assert.equal(goesLeft.score([Number.NaN, 7]), 0.5 - 1.5);
  assert.equal(goesRight.score([null, 7]), 0.5 + 2.25);
  assert.equal(goesRight.score([Number.NaN, 7]), 0.5 + 2.25);
  assert.equal(goesLeft.score([0.4, null]), 0.5 - 1.5);
  assert.equal(goesLeft.score([0.5, null]), 0.5 + 2.25);
});

function replaced(row: (number | null)[], index: number, value: number | null): (number | null)[] {
  const copy = [...row];
  copy[index] = value;
  return copy;
}

test('missing values in the real models go right, as their default_left says', () => {
  // Every split in these models has default_left = 0, so a missing value must score exactly like +Infinity
  // (which is never < a threshold) — and differently from the recorded value wherever that value went left.
  for (const name of XGBOOST_MODELS) {
    const model = loadXGBoostModel(xgboostModelPath(name));
    let changed = 0;
    for (const { features } of readXGBoostCases(name)) {
      for (let f = 0; f < features.length; f++) {
        const missing = replaced(features, f, null);
        const infinite = replaced(features, f, Number.POSITIVE_INFINITY);
        const score = model.score(missing);
        assert.equal(score, model.score(infinite), `${name} feature ${f}`);
        assert.equal(model.score(replaced(features, f, Number.NaN)), score);
        if (score !== model.score(features)) changed++;
      }
    }
    assert.ok(changed > 0, `${name}: missing values changed only ${changed} scores`);
  }
});

test('binary:logistic is sigmoid(logit(base_score) + leaves), in both base_score spellings', () => {
  for (const baseScore of ['4E-1', '[4E-1]']) {
    const model = XGBoostModel.fromJson(stump({ objective: 'binary:logistic', baseScore, defaultLeft: 1 }));
    const expected = 1 / (1 + Math.exp(-(Math.log(0.4 / 0.6) + 2.25)));
    assert.ok(Math.abs(model.score([1, 0]) - expected) < 1e-7, baseScore);
  }
});

test('the real model scores the same with base_score written as a vector', () => {
  const json = JSON.parse(readFileSync(xgboostModelPath('airline_binary_logistic'), 'utf8'));
  const plain = XGBoostModel.fromJson(json);
  json.learner.learner_model_param.base_score = `[${json.learner.learner_model_param.base_score}]`;
  const bracketed = XGBoostModel.fromJson(json);
  for (const { features } of readXGBoostCases('airline_binary_logistic')) {
    assert.equal(bracketed.score(features), plain.score(features));
  }
});

test('base_score parsing accepts one number only', () => {
  assert.equal(parseBaseScore('4E-1'), 0.4);
  assert.equal(parseBaseScore('[4E-1]'), 0.4);
  assert.throws(() => parseBaseScore('[4E-1,5E-1]'), XGBoostModelError);
  assert.throws(() => parseBaseScore('abc'), /base_score "abc" is not one number/);
});

test('a wrong feature count is a clear error', () => {
  const model = loadXGBoostModel(xgboostModelPath('airline_binary_logistic'));
  assert.throws(() => model.score(new Array(21).fill(0)), /expects 22 features but the feature row has 21/);
  assert.throws(() => model.checkFeatureCount(387, 'time_features+vectorizer'), /expects 22 features but time_features\+vectorizer has 387/);
  assert.doesNotThrow(() => model.checkFeatureCount(22));
});

test('unsupported or malformed models are rejected with a reason', () => {
  assert.throws(() => XGBoostModel.fromJson({}), /not a supported XGBoost JSON model/);
  assert.throws(
    () => XGBoostModel.fromJson(stump({ objective: 'multi:softprob', baseScore: '5E-1', defaultLeft: 0 })),
    /objective/,
  );
  assert.throws(
    () => XGBoostModel.fromJson(stump({ objective: 'reg:squarederror', baseScore: '5E-1', defaultLeft: 0, featureCount: 0 })),
    /splits on feature 0 but the model has 0 features/,
  );
  const categorical = stump({ objective: 'reg:squarederror', baseScore: '5E-1', defaultLeft: 0 });
  categorical.learner.gradient_booster.model.trees[0]!.split_type = [1, 0, 0];
  assert.throws(() => XGBoostModel.fromJson(categorical), /categorical split/);
  const cyclic = stump({ objective: 'reg:squarederror', baseScore: '5E-1', defaultLeft: 0 });
  cyclic.learner.gradient_booster.model.trees[0]!.left_children = [1, 0, -1];
  cyclic.learner.gradient_booster.model.trees[0]!.right_children = [2, 2, -1];
  assert.throws(() => XGBoostModel.fromJson(cyclic), /tree 0/);
  assert.throws(() => loadXGBoostModel('/nonexistent/model.json'), /cannot read XGBoost model \/nonexistent\/model.json/);
});
