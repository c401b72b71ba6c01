import { loadPoliticalModel, SHIPPED_MODELS_DIR } from '../src/political/load.ts';
import { classify } from '../src/political/model.ts';
import { recordedPosts } from './_posts.ts';

/** Posts/s of the political classifier (featurise + score, no memo) over recorded post texts, and the loaded model's memory. */
export async function run(): Promise<Record<string, number | string>> {
  const texts = recordedPosts(2_000).map((p) => p.record.text);
  global.gc?.();
  const before = process.memoryUsage();
  const model = loadPoliticalModel(SHIPPED_MODELS_DIR);
  global.gc?.();
  const after = process.memoryUsage();
  let checksum = 0;
  for (const text of texts) checksum += classify(model, text).sociopolitical; // warm-up
  let classified = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < 2) {
    for (const text of texts) checksum += classify(model, text).sociopolitical;
    classified += texts.length;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  if (!Number.isFinite(checksum)) throw new Error('non-finite score');
  const mean = texts.reduce((sum, t) => sum + t.length, 0) / texts.length;
  return {
    'posts/s': Math.round(classified / elapsed),
    'mean text chars': Math.round(mean),
    'model heapUsed+arrayBuffers MB': Number(((after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 2 ** 20).toFixed(1)),
    'model RSS MB': Number(((after.rss - before.rss) / 2 ** 20).toFixed(1)),
  };
}
