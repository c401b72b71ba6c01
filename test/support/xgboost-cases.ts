import { readFileSync } from 'node:fs';
import { fixture } from './fixtures.ts';

export const XGBOOST_MODELS = ['airline_binary_logistic', 'airline_reg_squarederror'] as const;

export function xgboostModelPath(name: string): string {
  return fixture(`xgboost/${name}.model.json`);
}

/** The rows of `<name>.expected.csv`: the features (empty cell = missing) and XGBoost's own prediction. */
export function readXGBoostCases(name: string): { features: (number | null)[]; prediction: number }[] {
  const [header, ...lines] = readFileSync(fixture(`xgboost/${name}.expected.csv`), 'utf8').trim().split('\n');
  const columns = header!.split(',');
  const featureColumns = columns.length - 2; // trailing `target`, `prediction`
  return lines.map((line) => {
    const cells = line.split(',');
    return {
      features: cells.slice(0, featureColumns).map((cell) => (cell.trim() === '' ? null : Number(cell))),
      prediction: Number(cells[columns.indexOf('prediction')]),
    };
  });
}
