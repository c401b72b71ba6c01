import fs from 'node:fs';
import path from 'node:path';
import { decodeModel, PoliticalModelFileSchema, type PoliticalModel } from './model.ts';

export const POLITICAL_MODEL_FILE = 'political/model.json';

/** Reads the shipped classifier from `<modelsDir>/political/model.json`; offline, synchronous, once per process. */
export function loadPoliticalModel(modelsDir: string): PoliticalModel {
  const file = path.join(modelsDir, POLITICAL_MODEL_FILE);
  const parsed = PoliticalModelFileSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: not a political model: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return decodeModel(parsed.data);
}
