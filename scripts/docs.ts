import fs from 'node:fs';
import { generatedDocs } from '../src/manifests/docs.ts';

/** `npm run docs`: writes the manifest reference and JSON Schema generated from the zod schemas. */
for (const [file, content] of generatedDocs()) {
  fs.writeFileSync(file, content);
  console.log(`wrote ${file}`);
}
