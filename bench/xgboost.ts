import { loadXGBoostModel } from '../src/models/load-xgboost.ts';
import { readXGBoostCases, xgboostModelPath } from '../test/support/xgboost-cases.ts';

/** Scores/s of the XGBoost scorer over the airline rows, repeated; about 2 s per model. */
export async function run(): Promise<Record<string, number | string>> {
  return {
    'scores/s': scoresPerSecond('airline_binary_logistic'),
    'scores/s reg:squarederror': scoresPerSecond('airline_reg_squarederror'),
  };
}

function scoresPerSecond(name: string): number {
  const model = loadXGBoostModel(xgboostModelPath(name));
  const rows = readXGBoostCases(name).map((c) => c.features);
  let checksum = 0;
  for (let i = 0; i < 20_000; i++) checksum += model.score(rows[i % rows.length]!); // warm-up
  let scored = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < 2) {
    for (const row of rows) checksum += model.score(row);
    scored += rows.length;
    if (scored % (rows.length * 256) === 0) elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  if (!Number.isFinite(checksum)) throw new Error('non-finite score');
  return Math.round(scored / elapsed);
}
