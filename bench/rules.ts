/** Posts/s of the evaluator with 20 rule manifests over recorded posts, amplified. */
import { evaluateBatch } from '../src/evaluate/index.ts';
import { compileManifest } from '../src/manifests/load.ts';
import { recordedPosts } from './_posts.ts';

const DOMAINS = ['nytimes.com', 'bbc.co.uk', 'github.com', 'youtube.com', 'substack.com'];
const TERMS = [['election', 'vote'], ['climate', 'weather'], ['music', 'album'], ['art', 'drawing'], ['game', 'match']];

function ruleManifests(): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < 5; i++) {
    out.push({ label: { value: `domain-${'abcde'[i]}` }, filter: { entity_matches: ['domains', [DOMAINS[i]!]] } });
    out.push({ label: { value: `terms-${'abcde'[i]}` }, filter: { regex_any: ['text', TERMS[i]!] } });
    out.push({ label: { value: `reply-media-${'abcde'[i]}` }, filter: { and: [{ post_type: ['in', ['reply']] }, { embed_type: ['==', i % 2 ? 'image' : 'link'] }] } });
    out.push({
      label: { value: `lang-regex-${'abcde'[i]}` },
      filter: { and: [{ attribute_compare: ['langs[0]', '==', ['en', 'de', 'ja', 'pt', 'es'][i]] }, { regex_matches: ['text', `\\b${TERMS[i]![0]}s?\\b`] }] },
    });
  }
  return out;
}

export async function run(): Promise<Record<string, number>> {
  const manifests = await Promise.all(ruleManifests().map(async (m, i) => (await compileManifest(`bench-${i}.json`, JSON.stringify(m))).manifest!));
  const posts = recordedPosts(100_000);
  const batch = 500;
  const started = performance.now();
  let matches = 0;
  for (let i = 0; i < posts.length; i += batch) matches += (await evaluateBatch(posts.slice(i, i + batch), manifests)).filter((v) => v.matched).length;
  const seconds = (performance.now() - started) / 1000;
  return { manifests: manifests.length, posts: posts.length, matches, 'posts/s (1 core)': Math.round(posts.length / seconds) };
}
