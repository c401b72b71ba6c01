/** Scores/s of the XGBoost scorer (100 trees, 22 features) over the recorded airline rows. */
import fs from 'node:fs';
import { XGBoostModel } from '../src/models/xgboost.ts';

const shared = new URL('../../shared/data/xgboost/', import.meta.url);

export async function run(): Promise<Record<string, number>> {
  const model = XGBoostModel.fromJson(JSON.parse(fs.readFileSync(new URL('airline_binary_logistic.model.json', shared), 'utf8')));
  const rows = fs
    .readFileSync(new URL('airline_binary_logistic.expected.csv', shared), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',').slice(0, -2).map((c) => (c === '' ? null : Number(c))));
  const n = 500_000;
  let sum = 0;
  const started = performance.now();
  for (let i = 0; i < n; i++) sum += model.predict(rows[i % rows.length]!);
  const seconds = (performance.now() - started) / 1000;
  return { trees: 100, scores: n, 'scores/s (1 core)': Math.round(n / seconds), checksum: Math.round(sum) };
}
