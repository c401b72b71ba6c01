import { readModelFile } from '../models/model-file.ts';
import { decodeToxicityModel, ToxicityModelFileSchema, type ToxicityModel } from './model.ts';

export const TOXICITY_MODEL_FILE = 'toxicity/model.json';

/** Reads the classifier from `<modelsDir>/toxicity/model.json`, else the shipped one; offline, synchronous, once per process. */
export function loadToxicityModel(modelsDir: string): ToxicityModel {
  return decodeToxicityModel(readModelFile(modelsDir, TOXICITY_MODEL_FILE, ToxicityModelFileSchema, 'toxicity'));
}
