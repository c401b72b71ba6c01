/**
 * Embedders and the operators that use them:
 * - every embedder in a process of its own, pinned to one core: embeddings/s on recorded post texts
 *   (micro-batches of 16, as the embedding provider sends them), load time and resident memory;
 * - `text_similarity` (default model) on every post of a replay of recorded Jetstream traffic through the
 *   service's pipeline (consolidate → evaluate → label), once with the embedding cache off (every post
 *   embedded) and once with the default cache (recorded traffic repeats its texts, so mostly hits);
 * - `model_probability` with the shipped news_without_science model through evaluateBatch.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { evaluateBatch } from '../src/evaluate/index.ts';
import { compileManifest } from '../src/manifests/load.ts';
import { STATIC_EMBEDDER, UNIVERSAL_SENTENCE_ENCODER } from '../src/models/embedders/embedder.ts';
import { EmbedderRegistry } from '../src/models/embedders/registry.ts';
import { EMBEDDING, type EmbeddingProvider } from '../src/models/embedding-provider.ts';
import { openServices } from '../src/services/index.ts';
import { openStages } from '../src/service.ts';
import { recordedEvents } from './_events.ts';
import { loadAverage, measure, rates } from './_measure.ts';
import { recordedPosts } from './_posts.ts';

const MODELS_DIR = new URL('../models', import.meta.url).pathname;
const TRANSFORMERS_MODEL = 'all-MiniLM-L6-v2';
const REPLAY_EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const BATCH = 256;
const logger = pino({ level: 'silent' });

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function probe(name: string, textsFile: string): Record<string, number | string> {
  if (name === TRANSFORMERS_MODEL && !new EmbedderRegistry({ modelsDir: MODELS_DIR, allowRemote: false }).localFolder(name)) {
    return { [`${name} embeddings/s`]: `not installed (skysift models pull ${name})` };
  }
  const script = new URL('_embedder-probe.ts', import.meta.url).pathname;
  const command = [process.execPath, '--import', 'tsx', script, name, textsFile, MODELS_DIR];
  const run = hasTaskset ? spawnSync('taskset', ['-c', '0', ...command], { encoding: 'utf8' }) : spawnSync(command[0]!, command.slice(1), { encoding: 'utf8' });
  const line = run.stdout.trim().split('\n').at(-1);
  if (run.status !== 0 || !line) return { [`${name} embeddings/s`]: `failed: ${run.stderr.trim().split('\n').at(-1)}` };
  const result = JSON.parse(line) as { perSecond: number; perCpuSecond: number; loadMs: number; rssMb: number; peakRssMb: number };
  return {
    [`${name} embeddings/s (one core)`]: result.perSecond,
    [`${name} embeddings per CPU-second`]: result.perCpuSecond,
    [`${name} load ms`]: result.loadMs,
    [`${name} RSS MB`]: result.rssMb,
    [`${name} peak RSS MB`]: result.peakRssMb,
  };
}

/** The service's pipeline over recorded traffic with one text_similarity manifest (default model): posts/s, CPU µs/post, GC share. */
async function replayTextSimilarity(workDir: string, cacheSize: number): Promise<{ rates: Record<string, number>; embedded: number; labels: number }> {
  const manifests = path.join(workDir, `manifests-${cacheSize}`);
  fs.mkdirSync(manifests, { recursive: true });
  fs.writeFileSync(
    path.join(manifests, 'weather.json'),
    JSON.stringify({ label: { value: 'weather-talk' }, filter: { text_similarity: ['text', { anchor_text: 'snow storm, the weather is terrible today' }, '>=', 0.5] } }),
  );
  const config = loadConfig({ DATA_DIR: path.join(workDir, `data-${cacheSize}`), MANIFESTS_DIR: manifests, MODELS_DIR, EMBEDDING_CACHE_SIZE: String(cacheSize) });
  const stages = await openStages(config, logger);
  const events = recordedEvents(REPLAY_EVENTS);
  const posts = events.filter((e) => e.commit?.collection === 'app.bsky.feed.post' && e.commit.operation === 'create').length;
  let labels = 0;
  try {
    // Warm-up batch (JIT, model load), not timed.
    await stages.pipeline(events.slice(0, BATCH));
    const measured = await measure(async () => {
      for (let i = BATCH; i < events.length; i += BATCH) {
        const summary = await stages.pipeline(events.slice(i, i + BATCH));
        labels += summary.labelled.length;
      }
    });
    const provider = stages.services.providers.get(EMBEDDING.name) as EmbeddingProvider;
    const name = `text_similarity replay, ${cacheSize ? 'default cache' : 'every post embedded'} (${STATIC_EMBEDDER})`;
    return { rates: rates(measured, Math.round((posts * (events.length - BATCH)) / events.length), name), embedded: provider.embedded.get(STATIC_EMBEDDER) ?? 0, labels };
  } finally {
    await stages.close();
  }
}

/**
 * model_probability with the shipped news_without_science model, whose features are the Universal Sentence
 * Encoder's (as its example manifest names it): 512 distinct posts through evaluateBatch with a cold embedding
 * cache, then the same posts again (embeddings cached).
 */
async function modelProbability(): Promise<{ cold: number; cached: number }> {
  const services = await openServices({ config: loadConfig({ MODELS_DIR }), logger: pino({ level: 'silent' }) });
  const manifest = JSON.stringify({
    label: { value: 'news' },
    filter: { model_probability: [{ model_name: 'news_without_science' }, '>=', 0.5] },
    models: [{ model_name: 'news_without_science', feature_modules: [{ type: 'time_features' }, { type: 'vectorizer', model_name: UNIVERSAL_SENTENCE_ENCODER }, { type: 'post_metadata' }] }],
  });
  const { manifest: compiled, problems } = await compileManifest('bench.json', manifest, { services: services.compile });
  if (!compiled) throw new Error(JSON.stringify(problems));
  const posts = recordedPosts(512).map((p, i) => ({ ...p, record: { ...p.record, text: `${p.record.text} ${i}` } }));
  const postsPerSecond = async () => {
    const started = performance.now();
    for (let i = 0; i < posts.length; i += BATCH) await evaluateBatch(posts.slice(i, i + BATCH), [compiled], services.providers);
    return Math.round((posts.length * 1000) / (performance.now() - started));
  };
  try {
    return { cold: await postsPerSecond(), cached: await postsPerSecond() };
  } finally {
    await services.close();
  }
}

export async function run(): Promise<Record<string, number | string>> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-bench-embeddings-'));
  try {
    const texts = [...new Set(recordedPosts(1_000).map((p) => p.record.text))].filter(Boolean);
    const textsFile = path.join(workDir, 'texts.json');
    fs.writeFileSync(textsFile, JSON.stringify(texts));
    const out: Record<string, number | string> = {
      'post texts (distinct, recorded)': texts.length,
      'mean text length (chars)': Math.round(texts.reduce((n, t) => n + t.length, 0) / texts.length),
      'pinned to one core': hasTaskset ? 'yes (taskset -c 0)' : 'no (taskset missing)',
    };
    for (const name of [STATIC_EMBEDDER, UNIVERSAL_SENTENCE_ENCODER, TRANSFORMERS_MODEL]) Object.assign(out, probe(name, textsFile));
    const cold = await replayTextSimilarity(workDir, 0);
    const cached = await replayTextSimilarity(workDir, 20_000);
    Object.assign(out, cold.rates, cached.rates);
    out['text_similarity replay: posts embedded with the cache off'] = cold.embedded;
    out['text_similarity replay: labels'] = cold.labels;
    out['load average (1 min) after the replays'] = loadAverage();
    const probability = await modelProbability();
    out[`model_probability posts/s, cold cache (news_without_science, ${UNIVERSAL_SENTENCE_ENCODER} features)`] = probability.cold;
    out['model_probability posts/s, cached embeddings'] = probability.cached;
    return out;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
