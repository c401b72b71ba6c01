import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeModel, PoliticalModelFileSchema, type PoliticalModel } from './model.ts';

export const POLITICAL_MODEL_FILE = 'political/model.json';
/** The model committed with the code, used when `MODELS_DIR` holds no political model of its own. */
export const SHIPPED_MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

/** Reads the classifier from `<modelsDir>/political/model.json`, else the shipped one; offline, synchronous, once per process. */
export function loadPoliticalModel(modelsDir: string): PoliticalModel {
  const own = path.join(modelsDir, POLITICAL_MODEL_FILE);
  const file = fs.existsSync(own) ? own : path.join(SHIPPED_MODELS_DIR, POLITICAL_MODEL_FILE);
  const parsed = PoliticalModelFileSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: not a political model: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return decodeModel(parsed.data);
}
