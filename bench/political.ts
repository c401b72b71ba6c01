import { openUniversalSentenceEncoder } from '../src/models/embedders/universal-sentence-encoder.ts';
import { loadPoliticalModel, SHIPPED_MODELS_DIR } from '../src/political/load.ts';
import { classify, wantsEmbedding, type PoliticalModel } from '../src/political/model.ts';
import { recordedPosts } from './_posts.ts';

/** Posts/s of the political classifier (featurise + score, no memo) over recorded post texts, the loaded model's memory, and the POLITICAL_CASCADE rate. */
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
    ...(await cascadeRate(model, texts.slice(0, 256))),
  };
}

/** The cascade over distinct recorded texts: unsure posts embedded in batches of 64, as the evaluator batches them. */
async function cascadeRate(model: PoliticalModel, texts: string[]): Promise<Record<string, number>> {
  const embedder = await openUniversalSentenceEncoder();
  await embedder.embed(texts.slice(0, 8)); // warm-up
  const start = process.hrtime.bigint();
  const unsure = texts.filter((t) => wantsEmbedding(model, classify(model, t).sociopolitical));
  let checksum = 0;
  for (let i = 0; i < unsure.length; i += 64) {
    const batch = unsure.slice(i, i + 64);
    (await embedder.embed(batch)).forEach((embedding, k) => (checksum += classify(model, batch[k]!, embedding).sociopolitical));
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  if (!Number.isFinite(checksum)) throw new Error('non-finite score');
  return { 'cascade posts/s': Math.round(texts.length / elapsed), 'cascade embedded share': Number((unsure.length / texts.length).toFixed(2)) };
}
