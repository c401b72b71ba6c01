import { openUniversalSentenceEncoder } from '../src/models/embedders/universal-sentence-encoder.ts';
import { EMBEDDING, embeddingKey } from '../src/models/embedding-provider.ts';
import type { FeatureRequest } from '../src/core/features.ts';
import type { EvaluationContext } from '../src/core/operator.ts';
import { createPoliticalClassifier, politicalScoresProvider, type PoliticalOutcome } from '../src/political/classifier.ts';
import { ANSWERED_POST, answeredPostProvider } from '../src/political/context-provider.ts';
import { answeredUri, ownText } from '../src/political/context.ts';
import { SHIPPED_MODELS_DIR } from '../src/models/model-file.ts';
import { loadPoliticalModel } from '../src/political/load.ts';
import { classify, embeddersOf, wantsQuality, type PoliticalScores } from '../src/political/model.ts';
import { settled } from '../test/support/inference.ts';
import { recordedPosts } from './_posts.ts';

function scoresOf(answer: PoliticalOutcome | FeatureRequest[]): PoliticalScores {
  if (Array.isArray(answer)) throw new Error('the classifier asked for a feature the bench does not supply');
  if ('error' in answer) throw new Error(answer.error);
  return answer;
}

/**
 * The political classifier on recorded posts, one core (node runs this on one thread): default-mode posts/s through
 * the classifier (own text with link card and alt text, the answered post's text where the recorded posts hold it,
 * features, both heads), the loaded model's memory, and quality mode's rate with the encoder on the posts it consults.
 */
export async function run(): Promise<Record<string, number | string>> {
  const posts = recordedPosts(2_000);
  const byUri = new Map(posts.map((p) => [p.uri, p]));
  const parents = new Map<string, string | null>();
  const uris = [...new Set(posts.flatMap((p) => answeredUri(p.record) ?? []))];
  const texts = await answeredPostProvider({ get: (uri) => byUri.get(uri) }).compute(uris);
  uris.forEach((uri, i) => parents.set(uri, texts[i] as string | null));
  const context: EvaluationContext = {
    feature: <Out>(request: FeatureRequest<unknown, Out>) => (request.kind === ANSWERED_POST ? (parents.get(request.key) as Out) : undefined),
    membership: () => undefined,
  };
  global.gc?.();
  const before = process.memoryUsage();
  const model = loadPoliticalModel(SHIPPED_MODELS_DIR);
  global.gc?.();
  const after = process.memoryUsage();
  const provider = politicalScoresProvider(model);
  let checksum = 0;
  let classified = 0;
  let elapsed = 0;
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  while (elapsed < 3) {
    // A fresh classifier per round: its per-post memo must not turn the measurement into a cache lookup.
    const classifier = createPoliticalClassifier(model, { mode: 'default', lookUpContext: true });
    for (const post of posts) checksum += scoresOf(await settled((inferring) => classifier.scores(post, inferring), [provider], context)).sociopolitical;
    classified += posts.length;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  const cpu = process.cpuUsage(cpuStart);
  if (!Number.isFinite(checksum)) throw new Error('non-finite score');
  return {
    'default posts/s (1 core)': Math.round(classified / elapsed),
    // Steadier than wall time on a shared machine: what one core does per second of its own time.
    'default posts per CPU-second': Math.round(classified / ((cpu.user + cpu.system) / 1e6)),
    'mean text chars': Math.round(posts.reduce((sum, p) => sum + ownText(p.record).length, 0) / posts.length),
    'model heapUsed+arrayBuffers MB': Number(((after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 2 ** 20).toFixed(1)),
    'model RSS MB': Number(((after.rss - before.rss) / 2 ** 20).toFixed(1)),
    ...(await qualityRate(posts.slice(0, 256), context)),
  };
}

/** Quality mode over distinct recorded posts: the unsure ones embedded in batches of 64, as the evaluator batches them. */
async function qualityRate(posts: ReturnType<typeof recordedPosts>, context: EvaluationContext): Promise<Record<string, number>> {
  const model = loadPoliticalModel(SHIPPED_MODELS_DIR);
  const quality = model.quality;
  if (!quality) return {};
  const embedder = await openUniversalSentenceEncoder();
  await embedder.embed(['warm-up text for the encoder']);
  const [name] = embeddersOf(quality.features);
  const start = process.hrtime.bigint();
  const unsure = posts.filter((p) => wantsQuality(quality, classify(model.default, { text: ownText(p.record) }).sociopolitical));
  const embedded = new Map<string, Float32Array>();
  for (let i = 0; i < unsure.length; i += 64) {
    const batch = unsure.slice(i, i + 64).map((p) => ownText(p.record));
    (await embedder.embed(batch)).forEach((vector, k) => embedded.set(embeddingKey(name!, batch[k]!), vector));
  }
  const classifier = createPoliticalClassifier(model, { mode: 'quality', lookUpContext: true });
  const withEmbeddings: EvaluationContext = {
    ...context,
    feature: <Out>(request: FeatureRequest<unknown, Out>) => (request.kind === EMBEDDING ? (embedded.get(request.key) as Out) : context.feature(request)),
  };
  let checksum = 0;
  const provider = politicalScoresProvider(model);
  for (const post of posts) checksum += scoresOf(await settled((inferring) => classifier.scores(post, inferring), [provider], withEmbeddings)).sociopolitical;
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  if (!Number.isFinite(checksum)) throw new Error('non-finite score');
  return { 'quality posts/s': Math.round(posts.length / elapsed), 'quality encoded share': Number((unsure.length / posts.length).toFixed(2)) };
}
