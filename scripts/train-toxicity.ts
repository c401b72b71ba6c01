/**
 * `npm run train:toxicity -- --data DIR [--davidson FILE] [--cache DIR] [--out DIR]`: trains the toxicity classifier
 * from the political data directory (not in the repository: see models/toxicity/MODEL_CARD.md for where it and the
 * Davidson tweets come from), prints every held-out number and writes `model.json` and `metrics.json` to `--out`
 * (default models/toxicity).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openUniversalSentenceEncoder } from '../src/models/embedders/universal-sentence-encoder.ts';
import { LABELLED_FILE, POOL_FILE } from '../src/political/train/data.ts';
import { encodeToxicityModel } from '../src/toxicity/model.ts';
import { trainToxicity } from '../src/toxicity/train/main.ts';

const USAGE = 'usage: npm run train:toxicity -- --data <political data dir> [--davidson <labeled_data.csv>] [--cache .tmp/toxicity-cache] [--out models/toxicity]';

function fail(message: string): never {
  console.error(`train:toxicity: ${message}\n${USAGE}`);
  process.exit(2);
}

let values: { data?: string; davidson?: string; cache: string; out: string };
try {
  values = parseArgs({
    options: {
      data: { type: 'string' },
      davidson: { type: 'string' },
      cache: { type: 'string', default: '.tmp/toxicity-cache' },
      out: { type: 'string', default: 'models/toxicity' },
    },
  }).values as typeof values;
} catch (error) {
  fail((error as Error).message);
}
if (!values.data) fail('--data is required: the directory holding bluesky_labeled.jsonl and bluesky_pool.jsonl');
for (const file of [LABELLED_FILE, POOL_FILE]) if (!fs.existsSync(path.join(values.data, file))) fail(`${path.join(values.data, file)} does not exist`);
if (values.davidson && !fs.existsSync(values.davidson)) fail(`${values.davidson} does not exist`);

const started = Date.now();
const { model, metrics } = await trainToxicity({ dataDir: values.data, davidsonFile: values.davidson, cacheDir: values.cache, openEmbedder: openUniversalSentenceEncoder });
fs.mkdirSync(values.out, { recursive: true });
const trained = { chosen: metrics.chosen, splitSeed: metrics.splitSeed, fit: metrics.fit, sizes: metrics.sizes, davidson: values.davidson ? path.basename(values.davidson) : null };
fs.writeFileSync(path.join(values.out, 'model.json'), JSON.stringify(encodeToxicityModel(model, trained)));
fs.writeFileSync(path.join(values.out, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
console.log(`\nwrote ${path.join(values.out, 'model.json')} and metrics.json in ${((Date.now() - started) / 1000).toFixed(0)} s`);
