/**
 * Rule-only manifests in the shapes operators write, for benchmarks and the evaluation golden test,
 * generated deterministically. The first twenty are the bench's classic set (domains, terms,
 * reply + media, language + regex), kept so that measurements stay comparable with earlier ones (and
 * with Graze's evaluator on the same manifests). Beyond them, templates — topic term lists with language
 * and exclusions, domain lists, link cards, hashtags, embed and reply types, word regexes, phrases — are
 * filled by a seeded generator with the words, domains, hashtags and languages of the recorded posts in
 * test/fixtures/, so that terms occur in real text about as often as an operator's would.
 */
import type { ConsolidatedPost } from '../../src/consolidate/post.ts';
import { compileManifest, type CompiledManifest } from '../../src/manifests/load.ts';
import { recordedTraffic } from './recorded-posts.ts';

export interface RuleManifest {
  label: { value: string };
  filter: unknown;
}

const CLASSIC_DOMAINS = ['nytimes.com', 'bbc.co.uk', 'github.com', 'youtube.com', 'substack.com'];
const CLASSIC_TERMS = [
  ['election', 'vote'],
  ['climate', 'weather'],
  ['music', 'album'],
  ['art', 'drawing'],
  ['game', 'match'],
];

function classicManifests(): RuleManifest[] {
  const out: RuleManifest[] = [];
  for (let i = 0; i < 5; i++) {
    out.push({ label: { value: `domain-${'abcde'[i]}` }, filter: { entity_matches: ['domains', [CLASSIC_DOMAINS[i]!]] } });
    out.push({ label: { value: `terms-${'abcde'[i]}` }, filter: { regex_any: ['text', CLASSIC_TERMS[i]!] } });
    out.push({ label: { value: `reply-media-${'abcde'[i]}` }, filter: { and: [{ post_type: ['in', ['reply']] }, { embed_type: ['==', i % 2 ? 'image' : 'link'] }] } });
    out.push({
      label: { value: `lang-regex-${'abcde'[i]}` },
      filter: { and: [{ attribute_compare: ['langs[0]', '==', ['en', 'de', 'ja', 'pt', 'es'][i]] }, { regex_matches: ['text', `\\b${CLASSIC_TERMS[i]![0]}s?\\b`] }] },
    });
  }
  return out;
}

/** What the recorded posts talk about, most frequent first (ties in alphabetical order, so the order is stable). */
interface Vocabulary {
  words: string[];
  /** Words with letters outside ASCII (other languages, accents). */
  foreign: string[];
  phrases: string[];
  domains: string[];
  hashtags: string[];
  langs: string[];
}

const byFrequency = (counts: Map<string, number>) => [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([key]) => key);
const count = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
const STOP = new Set(['https', 'http', 'that', 'this', 'with', 'have', 'from', 'just', 'your', 'what', 'they', 'will', 'like', 'about', 'would', 'there', 'their', 'been', 'were', 'when']);

function vocabulary(posts: readonly ConsolidatedPost[]): Vocabulary {
  const words = new Map<string, number>();
  const phrases = new Map<string, number>();
  const domains = new Map<string, number>(CLASSIC_DOMAINS.map((d) => [d, 1]));
  const hashtags = new Map<string, number>();
  const langs = new Map<string, number>();
  for (const post of posts) {
    const tokens = post.record.text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
    tokens.forEach((token, i) => {
      if (token.length >= 4 && !STOP.has(token)) count(words, token);
      const next = tokens[i + 1];
      if (next && token.length >= 3 && next.length >= 3 && !STOP.has(token) && !STOP.has(next)) count(phrases, `${token} ${next}`);
    });
    for (const lang of post.record.langs ?? []) count(langs, lang);
    const embed = post.record.embed as { external?: { uri?: unknown } } | undefined;
    const links = (post.record.facets ?? []).flatMap((f) => f.features.map((x) => x.uri));
    for (const uri of [embed?.external?.uri, ...links]) {
      const host = typeof uri === 'string' ? /^https?:\/\/(?:www\.)?([^/?#:]+)/i.exec(uri)?.[1]?.toLowerCase() : undefined;
      if (host?.includes('.')) count(domains, host);
    }
    for (const feature of (post.record.facets ?? []).flatMap((f) => f.features)) if (typeof feature.tag === 'string') count(hashtags, feature.tag.toLowerCase());
  }
  const all = byFrequency(words);
  return {
    // The most frequent words ("bluesky", "people") would make labels that match every other post: skipped.
    words: all.filter((w) => /^[a-z0-9]+$/.test(w)).slice(40),
    foreign: all.filter((w) => !/^[a-z0-9]+$/.test(w) && w.length <= 12),
    phrases: byFrequency(phrases).slice(0, 300),
    domains: byFrequency(domains),
    hashtags: [...byFrequency(hashtags), 'art', 'photography', 'bookstodon', 'gaming', 'science', 'politics'],
    langs: byFrequency(langs),
  };
}

/** mulberry32: a small seeded generator, so every run generates the same manifests (and tests try the same cases). */
export function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const some = <T>(list: readonly T[], lo: number, hi: number): T[] => {
    const wanted = Math.min(int(lo, hi), list.length);
    const chosen = new Set<T>();
    while (chosen.size < wanted) chosen.add(pick(list));
    return [...chosen];
  };
  return { next, int, pick, some, chance: (p: number) => next() < p };
}
type Random = ReturnType<typeof random>;

type Template = (r: Random, v: Vocabulary) => unknown;

const escape = (word: string) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const termsOf = (r: Random, v: Vocabulary, lo: number, hi: number) => [...r.some(v.words, lo, hi), ...(r.chance(0.15) ? r.some(v.foreign, 1, 3) : [])];
const langIs = (r: Random, v: Vocabulary) => ({ entity_matches: ['langs', [r.pick(v.langs)]] });

/** Template name → how it fills a filter; weights say how often operators write each shape. */
const TEMPLATES: [string, number, Template][] = [
  [
    'topic',
    25,
    (r, v) => {
      const parts: unknown[] = [{ regex_any: ['text', termsOf(r, v, 3, 16)] }];
      if (r.chance(0.5)) parts.push(langIs(r, v));
      if (r.chance(0.3)) parts.push({ regex_none: ['text', r.some(v.words, 1, 4)] });
      return parts.length === 1 ? parts[0] : { and: parts };
    },
  ],
  ['domains', 10, (r, v) => ({ entity_matches: ['domains', r.some(v.domains, 1, 8)] })],
  ['link-card', 8, (r, v) => ({ and: [{ embed_type: ['==', 'link'] }, { regex_any: ['embed.external.uri', r.some(v.domains, 1, 4)] }] })],
  [
    'hashtags',
    8,
    (r, v) => {
      const tags = r.some(v.hashtags, 1, 6);
      return r.chance(0.3) ? { or: [{ entity_matches: ['hashtags', tags] }, { regex_any: ['text', tags] }] } : { entity_matches: ['hashtags', tags] };
    },
  ],
  ['media-topic', 10, (r, v) => ({ and: [{ embed_type: ['==', r.chance(0.7) ? 'image' : 'video'] }, { regex_any: ['text', termsOf(r, v, 3, 12)] }] })],
  [
    'originals',
    8,
    (r, v) => ({
      and: [{ post_type: ['not_in', ['reply']] }, { regex_matches: ['text', `\\b(${r.some(v.words, 2, 5).map(escape).join('|')})s?\\b`] }],
    }),
  ],
  ['lang-regex', 8, (r, v) => ({ and: [{ attribute_compare: ['langs[0]', '==', r.pick(v.langs)] }, { regex_matches: ['text', `\\b${escape(r.pick(v.words))}(s|es)?\\b`] }] })],
  [
    'mixed-or',
    8,
    (r, v) => ({ or: [{ regex_any: ['text', termsOf(r, v, 2, 8)] }, { entity_matches: ['hashtags', r.some(v.hashtags, 1, 3)] }, { entity_matches: ['domains', r.some(v.domains, 1, 3)] }] }),
  ],
  ['phrases', 5, (r, v) => ({ regex_any: ['text', r.some(v.phrases, 2, 8)] })],
  ['word-forms', 4, (r, v) => ({ regex_any: ['text', r.some(v.words, 2, 6).map((w) => `${escape(w)}(s|ed|ing)?`), true, true] })],
  ['quote-not', 3, (r, v) => ({ and: [{ post_type: ['in', ['quote']] }, { not: { regex_any: ['text', r.some(v.words, 2, 6)] } }] })],
  ['card-title', 3, (r, v) => ({ and: [{ attribute_compare: ['embed.external.uri', '!=', null] }, { regex_any: ['embed.external.title', termsOf(r, v, 3, 10), false] }] })],
];

const TOTAL_WEIGHT = TEMPLATES.reduce((sum, [, weight]) => sum + weight, 0);

/** A label value for manifest `i`: lowercase letters and "-" only, as label values must be. */
const letters = (i: number): string => (i < 26 ? String.fromCharCode(97 + i) : letters(Math.floor(i / 26) - 1) + letters(i % 26));

/** `count` rule manifests: the classic twenty first, then generated ones (the same for every run). */
export function ruleManifests(count = 20): RuleManifest[] {
  const out = classicManifests().slice(0, count);
  if (out.length === count) return out;
  const v = vocabulary(recordedTraffic());
  const r = random(23);
  for (let i = out.length; i < count; i++) {
    let roll = r.next() * TOTAL_WEIGHT;
    const [name, , fill] = TEMPLATES.find(([, weight]) => (roll -= weight) < 0) ?? TEMPLATES[0]!;
    out.push({ label: { value: `rule-${letters(i)}-${name}` }, filter: fill(r, v) });
  }
  return out;
}

/** `ruleManifests(count)`, compiled. */
export async function compiledRuleManifests(count = 20): Promise<CompiledManifest[]> {
  return Promise.all(
    ruleManifests(count).map(async (m, i) => {
      const { manifest, problems } = await compileManifest(`rule-${i}.json`, JSON.stringify(m));
      if (!manifest) throw new Error(`generated manifest ${m.label.value} does not compile: ${JSON.stringify(problems)}`);
      return manifest;
    }),
  );
}
