import { loadConfig } from '../src/config.ts';
import { evaluateBatch } from '../src/evaluate/index.ts';
import { createLogger } from '../src/log.ts';
import { compileManifest } from '../src/manifests/load.ts';
import { openUniversalSentenceEncoder } from '../src/models/embedders/universal-sentence-encoder.ts';
import { openServices } from '../src/services/index.ts';
import { recordedPosts } from './_posts.ts';

const USE = 'universal-sentence-encoder';
const BATCH = 16;

/**
 * The offline encoder's throughput batched (16 texts a call, in arrival order and sorted by length as the
 * embedding provider does) and one text a call, and
 * model_probability end to end through evaluateBatch (embedding + features + 100 trees), first with
 * a cold embedding cache, then with the texts cached.
 */
export async function run(): Promise<Record<string, number | string>> {
  const texts = [
    ...new Set(
      recordedPosts(600)
        .map((p) => p.record.text)
        .filter(Boolean),
    ),
  ];
  const embedder = await openUniversalSentenceEncoder();
  await embedder.embed(texts.slice(0, 8)); // warm-up
  const sample = texts.slice(0, 256);
  const batched = await timed(async () => {
    for (let i = 0; i < 256; i += BATCH) await embedder.embed(sample.slice(i, i + BATCH));
    return 256;
  });
  const byLength = [...sample].sort((a, b) => a.length - b.length);
  const sorted = await timed(async () => {
    for (let i = 0; i < 256; i += BATCH) await embedder.embed(byLength.slice(i, i + BATCH));
    return 256;
  });
  const single = await timed(async () => {
    for (const text of texts.slice(0, 64)) await embedder.embed([text]);
    return 64;
  });

  const services = await openServices({ config: loadConfig({ MODELS_DIR: new URL('../models', import.meta.url).pathname }), logger: createLogger('silent') });
  const manifest = JSON.stringify({
    label: { value: 'news' },
    filter: { model_probability: [{ model_name: 'news_without_science' }, '>=', 0.5] },
    models: [{ model_name: 'news_without_science', feature_modules: [{ type: 'time_features' }, { type: 'vectorizer', model_name: USE }, { type: 'post_metadata' }] }],
  });
  const { manifest: compiled, problems } = await compileManifest('bench.json', manifest, { services: services.compile });
  if (!compiled) throw new Error(JSON.stringify(problems));
  const posts = recordedPosts(512);
  const evaluate = async () => {
    for (let i = 0; i < posts.length; i += 256) await evaluateBatch(posts.slice(i, i + 256), [compiled], services.providers);
    return posts.length;
  };
  const cold = await timed(evaluate);
  const warm = await timed(evaluate);
  await services.close();
  return {
    'embeddings/s batched (16 a call, arrival order)': batched,
    'embeddings/s batched (16 a call, sorted by length)': sorted,
    'embeddings/s one by one': single,
    'model_probability posts/s, cold cache': cold,
    'model_probability posts/s, cached embeddings': warm,
  };
}

async function timed(work: () => Promise<number>): Promise<number> {
  const start = performance.now();
  const count = await work();
  return Math.round((count * 1000) / (performance.now() - start));
}
