import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';

/** The models committed with the code, used where `MODELS_DIR` holds no model of that name. */
export const SHIPPED_MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

/**
 * Reads `<modelsDir>/<file>`, else the shipped one, and validates it against `schema`; offline and synchronous.
 * `kind` names the model in the error ("not a political model").
 */
export function readModelFile<T>(modelsDir: string, file: string, schema: z.ZodType<T>, kind: string): T {
  const own = path.join(modelsDir, file);
  const chosen = fs.existsSync(own) ? own : path.join(SHIPPED_MODELS_DIR, file);
  const parsed = schema.safeParse(JSON.parse(fs.readFileSync(chosen, 'utf8')));
  if (!parsed.success) throw new Error(`${chosen}: not a ${kind} model: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
