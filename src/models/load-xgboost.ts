import { readFileSync } from 'node:fs';
import { XGBoostModel, XGBoostModelError } from './xgboost.ts';

/** Reads a model saved by XGBoost as JSON and compiles it; errors name the file. */
export function loadXGBoostModel(file: string): XGBoostModel {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new XGBoostModelError(`cannot read XGBoost model ${file}: ${(error as Error).message}`);
  }
  try {
    return XGBoostModel.fromJson(json);
  } catch (error) {
    throw new XGBoostModelError(`${file}: ${(error as Error).message}`);
  }
}
