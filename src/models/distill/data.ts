import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { fnv1a } from '../../political/features.ts';
import { parseCsv, readJsonLines } from '../train/dataset.ts';
import { seededRandom, shuffled } from '../random.ts';

const PoolPostSchema = z.object({ id: z.string(), text: z.string(), author: z.string().nullable(), source: z.string() });
const LabelledPostSchema = PoolPostSchema.extend({ sociopolitical: z.union([z.literal(0), z.literal(1)]) });

export type PoolPost = z.infer<typeof PoolPostSchema>;
export type LabelledPost = z.infer<typeof LabelledPostSchema>;

/** Split seed and shares (FNV-1a of the author). */
export const SPLIT = { seed: 2026, heldOut: 0.2, validation: 0.1 } as const;

export type Part = 'build' | 'validation' | 'held-out';

/**
 * Where a post goes, by author so that no author is on two sides: a fifth of the authors are held out
 * from everything the build does (vocabulary, weights, fitting) and only measure it; a tenth more
 * validate the fitting (early stopping). Posts without an author — the pool's random Jetstream sample —
 * cannot be split by author and are the closest thing to live traffic, so all of them are held out.
 */
export function partOf(post: Pick<PoolPost, 'author'>): Part {
  if (!post.author) return 'held-out';
  const u = fnv1a(post.author, SPLIT.seed) / 4294967296;
  return u < SPLIT.heldOut ? 'held-out' : u < SPLIT.heldOut + SPLIT.validation ? 'validation' : 'build';
}

/** Where the distillation data comes from, said when a file of it is missing. */
const DATA_HINT = 'pass the political data directory with --data (see models/skysift-static-v1/MODEL_CARD.md)';

/** The pool of real Bluesky posts (`bluesky_pool.jsonl` in the political data folder). */
export const readPool = (dataDir: string) => readJsonLines(path.join(dataDir, 'bluesky_pool.jsonl'), PoolPostSchema, DATA_HINT);

/** The posts labelled sociopolitical or not with the research codebook (`bluesky_labeled.jsonl`, a subset of the pool). */
export const readLabelled = (dataDir: string) => readJsonLines(path.join(dataDir, 'bluesky_labeled.jsonl'), LabelledPostSchema, DATA_HINT);

export interface StsPair {
  a: string;
  b: string;
  score: number;
}

/**
 * STS-Benchmark pairs with their human similarity (0–5): the original `sts-test.csv` (tab-separated, score
 * in column 5, sentences in 6 and 7) or a three-column CSV `sentence1,sentence2,score` (the stsb-multi-mt copy).
 */
export function readSts(file: string): StsPair[] {
  const text = fs.readFileSync(file, 'utf8');
  const rows = text.includes('\t') ? text.split('\n').map((line) => line.split('\t')) : parseCsv(text);
  const pairs = rows
    .filter((r) => r.length >= 3)
    .map((r) => (r.length >= 7 ? { a: r[5]!, b: r[6]!, score: Number(r[4]) } : { a: r[0]!, b: r[1]!, score: Number(r[2]) }))
    .filter((p) => p.a && p.b && Number.isFinite(p.score));
  if (pairs.length < 100) throw new Error(`${file}: expected STS-Benchmark pairs (sentence1, sentence2, score), found ${pairs.length}`);
  return pairs;
}

/**
 * Unlabelled texts beside the pool, for fitting only (their labels are not used): the LLM-labelled posts, the
 * Crowdflower politicians' messages and the SemEval-2016 stance tweets of every topic and part, each text once.
 */
export function readExtraTexts(dataDir: string): string[] {
  const llm = readJsonLines(path.join(dataDir, 'llm_labeled_posts.jsonl'), z.object({ text: z.string() }), DATA_HINT).map((r) => r.text);
  const [, ...crowdflower] = parseCsv(fs.readFileSync(path.join(dataDir, 'crowdflower_political_social_media.csv'), 'utf8').replace(/^\uFEFF/, ''));
  const stanceDir = path.join(dataDir, 'tweeteval_stance');
  const stance = fs
    .readdirSync(stanceDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((topic) => ['train', 'val', 'test'].flatMap((part) => fs.readFileSync(path.join(stanceDir, topic.name, `${part}_text.txt`), 'utf8').split('\n')));
  return [...new Set([...llm, ...crowdflower.map((row) => row[1] ?? ''), ...stance].map((t) => t.trim()).filter(Boolean))];
}

/** A text for fitting only, with its author where the source names one. */
export interface UnlabelledText {
  text: string;
  author: string | null;
}

/**
 * More unlabelled Bluesky posts to fit on (`--unlabelled`, repeatable): a `.txt` file holds one post per line
 * (a random Jetstream sample: no authors, multi-line posts arrive as their lines); a `.csv` file holds posts in
 * every column whose name ends in `Text`, with the author in the column of the same name ending in `DID`
 * (`Text`/`DID`, `Parent Text`/`Parent DID`, …). Each text once, in file order.
 */
export function readUnlabelled(file: string): UnlabelledText[] {
  const content = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  if (file.endsWith('.txt')) return content.split('\n').map((line) => ({ text: line.trim(), author: null }));
  if (!file.endsWith('.csv')) throw new Error(`${file}: expected a .txt file (one post per line) or a .csv file with Text and DID columns`);
  const [header = [], ...rows] = parseCsv(content);
  const columns = header.flatMap((name, column) => (name.endsWith('Text') ? [{ column, author: header.indexOf(`${name.slice(0, -'Text'.length)}DID`) }] : []));
  if (!columns.length) throw new Error(`${file}: no column whose name ends in "Text"`);
  return rows.flatMap((row) => columns.map(({ column, author }) => ({ text: (row[column] ?? '').trim(), author: author >= 0 ? row[author] || null : null })));
}

/**
 * The unlabelled texts the build may fit on, keeping the measurement honest: a text with an author goes only if
 * that author falls in the build part (the same author split as the pool, so a held-out or validating author
 * never trains, whether or not the pool has them); an authorless text goes unless it, or a line of it, is a line
 * of a held-out or validating pool post (the pool's random Jetstream sample came from the same file). Texts
 * already in the pool are left out (the pool decides where they go); duplicates and empty lines are dropped.
 */
export function fittable(candidates: readonly UnlabelledText[], pool: readonly PoolPost[]): string[] {
  const poolTexts = new Set(pool.map((p) => p.text.trim()));
  const measuredLines = new Set(pool.filter((p) => partOf(p) !== 'build').flatMap((p) => p.text.split('\n').map((line) => line.trim())));
  const out = new Set<string>();
  for (const { text, author } of candidates) {
    if (!text || poolTexts.has(text)) continue;
    if (author ? partOf({ author }) !== 'build' : text.split('\n').some((line) => measuredLines.has(line.trim()))) continue;
    out.add(text);
  }
  return [...out];
}


/** Share of the authorless unlabelled posts (the random Jetstream sample) kept out of fitting to validate it. */
export const RANDOM_TRAFFIC_VALIDATION = 0.1;

/**
 * Splits the fittable unlabelled texts into those the build fits on and a validation slice of random traffic: a
 * tenth of the texts without an author, chosen by a hash of the text (FNV-1a, the split seed). The pool's validation
 * posts all have authors, so without this slice the fitting would choose its epoch without seeing the kind of post
 * most held-out pairs are made of.
 */
export function splitUnlabelled(candidates: readonly UnlabelledText[], pool: readonly PoolPost[]): { fit: string[]; validation: string[] } {
  const authored = new Set(candidates.flatMap((c) => (c.author ? [c.text] : [])));
  const fit: string[] = [];
  const validation: string[] = [];
  for (const text of fittable(candidates, pool))
    (!authored.has(text) && fnv1a(text, SPLIT.seed) / 4294967296 < RANDOM_TRAFFIC_VALIDATION ? validation : fit).push(text);
  return { fit, validation };
}

/**
 * Augmentation for fitting: one contiguous span of words (30–80% of them, from a random place) of every text with at
 * least `minWords` words, the texts taken in a seeded random order, newlines read as spaces. The teacher embeds each
 * span, so the table learns from the teacher's reading of more word combinations than the posts alone give, at no
 * cost to honesty: spans come only from texts the build fits on.
 */
export function wordSpans(texts: readonly string[], seed: number, minWords = 8): string[] {
  const random = seededRandom(seed);
  const known = new Set(texts);
  const out = new Set<string>();
  for (const text of shuffled(texts, random)) {
    const words = [...text.matchAll(/\S+/g)];
    if (words.length < minWords) continue;
    const length = Math.max(3, Math.round(words.length * (0.3 + 0.5 * random())));
    const from = Math.floor(random() * (words.length - length + 1));
    const last = words[from + length - 1]!;
    const span = text.slice(words[from]!.index, last.index! + last[0].length).replace(/\s+/g, ' ');
    if (!known.has(span)) out.add(span);
  }
  return [...out];
}

/** Seed of the span augmentation (`wordSpans`). */
export const SPAN_SEED = 16;

/**
 * Everything the table is fitted on, each text once: the build posts, the unlabelled posts and the texts beside the
 * pool (`posts`), then a span of each of them (`spans`, see `wordSpans`).
 */
export function fittingTexts(build: readonly PoolPost[], unlabelled: readonly string[], extraTexts: readonly string[]): { posts: string[]; spans: string[] } {
  const posts = [...new Set([...build.map((p) => p.text), ...unlabelled, ...extraTexts])];
  return { posts, spans: wordSpans(posts, SPAN_SEED) };
}
