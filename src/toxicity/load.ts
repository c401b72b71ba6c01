import fs from 'node:fs';
import path from 'node:path';
import { SHIPPED_MODELS_DIR } from '../political/load.ts';
import { decodeToxicityModel, ToxicityModelFileSchema, type ToxicityModel } from './model.ts';

export const TOXICITY_MODEL_FILE = 'toxicity/model.json';

/** Reads the classifier from `<modelsDir>/toxicity/model.json`, else the shipped one; offline, synchronous, once per process. */
export function loadToxicityModel(modelsDir: string): ToxicityModel {
  const own = path.join(modelsDir, TOXICITY_MODEL_FILE);
  const file = fs.existsSync(own) ? own : path.join(SHIPPED_MODELS_DIR, TOXICITY_MODEL_FILE);
  const parsed = ToxicityModelFileSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: not a toxicity model: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return decodeToxicityModel(parsed.data);
}
