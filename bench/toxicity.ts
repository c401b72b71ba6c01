import type { EvaluationContext } from '../src/core/operator.ts';
import { SHIPPED_MODELS_DIR } from '../src/models/model-file.ts';
import { createToxicityClassifier, toxicityScoreProvider } from '../src/toxicity/classifier.ts';
import { settled } from '../test/support/inference.ts';
import { loadToxicityModel } from '../src/toxicity/load.ts';
import { loadAverage, measure } from './_measure.ts';
import { recordedPosts } from './_posts.ts';

/**
 * The toxicity classifier's default mode on recorded posts, one core: posts/s through the classifier (own text with
 * link card and alt text, hashed n-grams, the calibrated head), wall-clock and per CPU-second (steadier on a shared
 * machine).
 */
export async function run(): Promise<Record<string, number | string>> {
  const posts = recordedPosts(2_000);
  const model = loadToxicityModel(SHIPPED_MODELS_DIR);
  const context: EvaluationContext = { feature: () => undefined, membership: () => undefined };
  const provider = toxicityScoreProvider(model);
  let checksum = 0;
  let scored = 0;
  const measured = await measure(async () => {
    const started = performance.now();
    while (performance.now() - started < 3000) {
      // A fresh classifier per round: its per-post memo must not turn the measurement into a cache lookup.
      const classifier = createToxicityClassifier(model, 'default');
      for (const post of posts) {
        const score = await settled((inferring) => classifier.score(post, inferring), [provider], context);
        if (typeof score !== 'number') throw new Error('default mode asked for a feature or failed');
        checksum += score;
      }
      scored += posts.length;
    }
  });
  if (!Number.isFinite(checksum)) throw new Error('non-finite score');
  return { 'default posts/s (1 core)': Math.round(scored / measured.seconds), 'default posts per CPU-second': Math.round(scored / measured.cpuSeconds), 'load average (1 min)': loadAverage() };
}
