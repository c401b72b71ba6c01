/** Posts/s of the evaluator with 20 rule manifests over recorded posts, amplified. */
import { evaluateBatch } from '../src/evaluate/index.ts';
import { compiledRuleManifests } from './_manifests.ts';
import { recordedPosts } from './_posts.ts';

export async function run(): Promise<Record<string, number>> {
  const manifests = await compiledRuleManifests();
  const posts = recordedPosts(100_000);
  const batch = 500;
  const started = performance.now();
  let matches = 0;
  for (let i = 0; i < posts.length; i += batch) matches += (await evaluateBatch(posts.slice(i, i + batch), manifests)).filter((v) => v.matched).length;
  const seconds = (performance.now() - started) / 1000;
  return { manifests: manifests.length, posts: posts.length, matches, 'posts/s (1 core)': Math.round(posts.length / seconds) };
}
