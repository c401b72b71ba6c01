/** Twenty rule-only manifests (domains, terms, reply/media, language + regex) in the shapes operators write. */
import { compileManifest, type CompiledManifest } from '../src/manifests/load.ts';

const DOMAINS = ['nytimes.com', 'bbc.co.uk', 'github.com', 'youtube.com', 'substack.com'];
const TERMS = [
  ['election', 'vote'],
  ['climate', 'weather'],
  ['music', 'album'],
  ['art', 'drawing'],
  ['game', 'match'],
];

/** Twenty distinct rule shapes; asking for more repeats them under new label values. */
export function ruleManifests(count = 20): { label: { value: string }; filter: unknown }[] {
  const out: { label: { value: string }; filter: unknown }[] = [];
  for (let i = 0; i < 5; i++) {
    out.push({ label: { value: `domain-${'abcde'[i]}` }, filter: { entity_matches: ['domains', [DOMAINS[i]!]] } });
    out.push({ label: { value: `terms-${'abcde'[i]}` }, filter: { regex_any: ['text', TERMS[i]!] } });
    out.push({ label: { value: `reply-media-${'abcde'[i]}` }, filter: { and: [{ post_type: ['in', ['reply']] }, { embed_type: ['==', i % 2 ? 'image' : 'link'] }] } });
    out.push({
      label: { value: `lang-regex-${'abcde'[i]}` },
      filter: { and: [{ attribute_compare: ['langs[0]', '==', ['en', 'de', 'ja', 'pt', 'es'][i]] }, { regex_matches: ['text', `\\b${TERMS[i]![0]}s?\\b`] }] },
    });
  }
  return Array.from({ length: count }, (_, i) => {
    const m = out[i % out.length]!;
    return i < out.length ? m : { ...m, label: { value: `${m.label.value}-${'bcdefghijklmnopqrstuvwxyz'[Math.floor(i / out.length) - 1]}` } };
  });
}

export async function compiledRuleManifests(): Promise<CompiledManifest[]> {
  return Promise.all(ruleManifests().map(async (m, i) => (await compileManifest(`bench-${i}.json`, JSON.stringify(m))).manifest!));
}
