import { readModelFile } from '../models/model-file.ts';
import { decodeModel, PoliticalModelFileSchema, type PoliticalModel } from './model.ts';

export const POLITICAL_MODEL_FILE = 'political/model.json';

/** Reads the classifier from `<modelsDir>/political/model.json`, else the shipped one; offline, synchronous, once per process. */
export function loadPoliticalModel(modelsDir: string): PoliticalModel {
  return decodeModel(readModelFile(modelsDir, POLITICAL_MODEL_FILE, PoliticalModelFileSchema, 'political'));
}
