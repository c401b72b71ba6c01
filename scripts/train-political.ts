/**
 * `npm run train:political -- --data DIR [--threads DIR] [--more-posts FILE] [--cache DIR] [--out DIR]`: trains the political classifier
 * from the political data directory (not in the repository: see models/political/MODEL_CARD.md for where it comes from),
 * prints every held-out number and writes `model.json` and `metrics.json` to `--out` (default models/political).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openUniversalSentenceEncoder } from '../src/models/embedders/universal-sentence-encoder.ts';
import { LABELLED_FILE, POOL_FILE } from '../src/political/train/data.ts';
import { trainPolitical } from '../src/political/train/main.ts';
import { THREAD_FILES } from '../src/political/train/threads.ts';
import { encodeModel } from '../src/political/model.ts';

const USAGE =
  'usage: npm run train:political -- --data <political data dir> [--threads <Epistemic-Threats checkout>] [--more-posts <posts_10000.txt>]… [--cache .tmp/political-cache] [--out models/political]';

function fail(message: string): never {
  console.error(`train:political: ${message}\n${USAGE}`);
  process.exit(2);
}

let values: { data?: string; threads?: string; 'more-posts'?: string[]; cache: string; out: string };
try {
  values = parseArgs({
    options: {
      data: { type: 'string' },
      threads: { type: 'string' },
      'more-posts': { type: 'string', multiple: true },
      cache: { type: 'string', default: '.tmp/political-cache' },
      out: { type: 'string', default: 'models/political' },
    },
  }).values as typeof values;
} catch (error) {
  fail((error as Error).message);
}
if (!values.data) fail('--data is required: the directory holding bluesky_labeled.jsonl and bluesky_pool.jsonl');
for (const file of [LABELLED_FILE, POOL_FILE]) if (!fs.existsSync(path.join(values.data, file))) fail(`${path.join(values.data, file)} does not exist`);
for (const file of values['more-posts'] ?? []) if (!fs.existsSync(file)) fail(`${file} does not exist`);
if (values.threads) for (const file of THREAD_FILES) if (!fs.existsSync(path.join(values.threads, file))) fail(`${path.join(values.threads, file)} does not exist`);

const started = Date.now();
const { model, metrics } = await trainPolitical({
  dataDir: values.data,
  threadsDir: values.threads,
  morePosts: values['more-posts'],
  cacheDir: values.cache,
  openEmbedder: openUniversalSentenceEncoder,
});
fs.mkdirSync(values.out, { recursive: true });
const trained = {
  chosen: metrics.chosen,
  splitSeed: metrics.splitSeed,
  fit: metrics.fit,
  sizes: metrics.sizes,
  threads: Boolean(values.threads),
  morePosts: (values['more-posts'] ?? []).map((f) => path.basename(f)),
};
fs.writeFileSync(path.join(values.out, 'model.json'), JSON.stringify(encodeModel(model, trained)));
fs.writeFileSync(path.join(values.out, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
console.log(`\nwrote ${path.join(values.out, 'model.json')} and metrics.json in ${((Date.now() - started) / 1000).toFixed(0)} s`);
