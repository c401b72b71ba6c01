/**
 * The evaluator alone on recorded posts (amplified), with 20, 200 and 1,000 rule manifests generated
 * from realistic templates (test/support/rule-manifests.ts): posts/s, CPU time per post and GC share of
 * deciding every manifest on every post, then of the same with the explanation of every match (what
 * the label stage asks for when each match is a new label). After a warm-up, so the JIT has compiled the plan.
 */
import { decideBatch } from '../src/evaluate/index.ts';
import { compiledRuleManifests } from './_manifests.ts';
import { loadAverage, measure, rates } from './_measure.ts';
import { recordedPosts } from './_posts.ts';

const BATCH = 256;
const POSTS: Record<number, number> = { 20: 100_000, 200: 50_000, 1000: 20_000 };

export async function run(): Promise<Record<string, number>> {
  const out: Record<string, number> = { 'load average at start': loadAverage() };
  for (const count of [20, 200, 1000]) {
    const manifests = await compiledRuleManifests(count);
    const posts = recordedPosts(POSTS[count]!);
    let matches = 0;
    const pass = async (explain: boolean) => {
      matches = 0;
      for (let i = 0; i < posts.length; i += BATCH) {
        const decisions = await decideBatch(posts.slice(i, i + BATCH), manifests);
        for (let pair = 0; pair < decisions.size; pair++) {
          if (!decisions.matched(pair)) continue;
          matches++;
          if (explain) decisions.verdict(pair);
        }
      }
    };
    await pass(false);
    Object.assign(out, rates(await measure(() => pass(false)), posts.length, `${count} manifests`), { [`${count} manifests matches`]: matches });
    Object.assign(out, rates(await measure(() => pass(true)), posts.length, `${count} manifests, matches explained`));
  }
  out['load average at end'] = loadAverage();
  return out;
}
