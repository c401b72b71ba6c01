import fs from 'node:fs';
import { evaluateBatch } from '../src/evaluate/index.ts';
import { GOLDEN_FILE, goldenManifests, goldenPosts, goldenText } from '../test/support/evaluation-golden.ts';

/** `npm run golden`: rewrites test/golden/evaluation.jsonl from the reference evaluator (see test/support/evaluation-golden.ts). */
const manifests = await goldenManifests();
fs.writeFileSync(GOLDEN_FILE, goldenText(await evaluateBatch(goldenPosts(), manifests), manifests.length));
console.log(`wrote ${GOLDEN_FILE}`);
