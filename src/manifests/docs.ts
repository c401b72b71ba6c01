import { fileURLToPath } from 'node:url';
import { manifestJsonSchema } from './json-schema.ts';
import { manifestReference } from './reference.ts';

const DOCS = new URL('../../docs/', import.meta.url);

/** The generated documentation files (path → content): `npm run docs` writes them, a test checks they are current. */
export function generatedDocs(): Map<string, string> {
  return new Map([
    [fileURLToPath(new URL('operators.md', DOCS)), manifestReference()],
    [fileURLToPath(new URL('manifest.schema.json', DOCS)), `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`],
  ]);
}
