import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { readJsonLines } from '../../models/train/dataset.ts';
import { LEANS, type Lean } from '../model.ts';

/** The files `npm run train:political -- --data DIR` reads (see models/political/MODEL_CARD.md for where they come from). */
export const LABELLED_FILE = 'bluesky_labeled.jsonl';
export const POOL_FILE = 'bluesky_pool.jsonl';
export const LLM_LABELLED_FILE = 'llm_labeled_posts.jsonl';
export const MET_SYNTHETIC_FILE = 'met_synthetic_posts.json';

const PoolRowSchema = z.object({
  id: z.string(),
  text: z.string(),
  createdAt: z.string().nullable(),
  author: z.string().nullable(),
  source: z.string(),
  lang: z.string(),
});

const LabelledRowSchema = PoolRowSchema.extend({
  sociopolitical: z.union([z.literal(0), z.literal(1)]),
  lean: z.enum(LEANS),
  toxic: z.union([z.literal(0), z.literal(1)]),
});

/** A Bluesky post of the pool; `context` is the text of what it answers (parent or quoted post) where that is known. */
export interface Post {
  id: string;
  text: string;
  author: string | null;
  source: string;
  context?: string;
}

/** A post with the codebook's labels: `lean` is null when the post is not sociopolitical. */
export interface LabelledPost extends Post {
  sociopolitical: boolean;
  lean: Lean | null;
}

/** Where the political training data comes from, said when a file of it is missing. */
const DATA_HINT = 'pass the political data directory with --data (see models/political/MODEL_CARD.md)';

const withContext = <T extends { text: string }>(row: T, context: ReadonlyMap<string, string>) => (context.has(row.text) ? { ...row, context: context.get(row.text)! } : row);

/** The 4,000 labelled Bluesky posts. */
export function readLabelled(dataDir: string, context: ReadonlyMap<string, string> = new Map()): LabelledPost[] {
  return readJsonLines(path.join(dataDir, LABELLED_FILE), LabelledRowSchema, DATA_HINT).map((row) =>
    withContext({ id: row.id, text: row.text, author: row.author, source: row.source, sociopolitical: row.sociopolitical === 1, lean: row.sociopolitical ? row.lean : null }, context),
  );
}

/** Every post of the pool (the labelled ones included). */
export function readPool(dataDir: string, context: ReadonlyMap<string, string> = new Map()): Post[] {
  return readJsonLines(path.join(dataDir, POOL_FILE), PoolRowSchema, DATA_HINT).map((row) => withContext({ id: row.id, text: row.text, author: row.author, source: row.source }, context));
}

/**
 * More unlabelled posts from a plain file, one post per line (the format of the Algospeak random Jetstream sample the
 * pool drew from), kept as the pool was: at least five words once links, mentions and digits are gone. No author:
 * they join groups through near-duplicate text only, so one that copies a held-out post never reaches training.
 */
export function readPlainPosts(file: string): Post[] {
  if (!fs.existsSync(file)) throw new Error(`${file} is missing`);
  const source = `file:${path.basename(file)}`;
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => normaliseText(line).split(' ').filter(Boolean).length >= 5)
    .map((text) => ({ id: `${source}:${createHash('sha1').update(text).digest('hex').slice(0, 20)}`, text, author: null, source }));
}

/** The source repository of a pool row (`owner/repo`), without path or `#parent`/`#reply`. */
export const sourceRepo = (source: string): string => source.split(':')[0]!;

/** Near-duplicate key: lower case without links, mentions, hashtags, digits or punctuation (reposts and copies collapse). */
export function normaliseText(text: string): string {
  return text
    .toLowerCase()
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/^rt\s+/, ' ')
    .replace(/[@#][\p{L}\p{N}_]+/gu, ' ')
    .replace(/[^\p{L}]+/gu, ' ')
    .trim();
}

/** Union–find over string keys. */
class Groups {
  readonly #parent = new Map<string, string>();

  find(key: string): string {
    let root = key;
    while (this.#parent.has(root) && this.#parent.get(root) !== root) root = this.#parent.get(root)!;
    this.#parent.set(key, root);
    return root;
  }

  union(a: string, b: string) {
    const [ra, rb] = [this.find(a), this.find(b)];
    // The smaller key becomes the root, so the grouping does not depend on the order of the rows.
    if (ra !== rb) this.#parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  }
}

/**
 * The group of every post: posts by one author, posts of one thread (a post and what it answers) and near-duplicate
 * texts are joined, transitively. A group never straddles two parts of a split, so no author, thread or copied text is
 * on both sides. Undated Algospeak rows have no author: they join groups only through their text.
 */
export function groupPosts(posts: readonly Post[]): Map<string, string> {
  const groups = new Groups();
  const join = (id: string, key: string) => groups.union(`post:${id}`, key);
  // Texts with no words left after normalising (links, emoji) are not near-duplicates of each other.
  const joinText = (id: string, text: string) => normaliseText(text) && join(id, `text:${normaliseText(text)}`);
  for (const post of posts) {
    joinText(post.id, post.text);
    if (post.author) join(post.id, `author:${post.author}`);
    if (post.context) joinText(post.id, post.context);
  }
  return new Map(posts.map((post) => [post.id, groups.find(`post:${post.id}`)]));
}

export type Part = 'train' | 'validation' | 'test';

/** Shares of the groups in each part: validation chooses thresholds and calibrates; test is only ever reported. */
export const SPLIT_SHARES = { test: 0.25, validation: 0.15 } as const;

/** A group's stable place in [0, 1): well mixed even for keys that differ in one character. */
export const unitHash = (key: string, seed: number): number => createHash('sha256').update(`${seed}:${key}`).digest().readUInt32BE(0) / 4294967296;

export function partOf(group: string, seed: number): Part {
  const u = unitHash(group, seed);
  return u < SPLIT_SHARES.test ? 'test' : u < SPLIT_SHARES.test + SPLIT_SHARES.validation ? 'validation' : 'train';
}

/** The cross-validation fold of a group (0 … folds − 1). */
export function foldOf(group: string, seed: number, folds: number): number {
  return Math.min(folds - 1, Math.floor(unitHash(group, seed) * folds));
}

export interface BlueskySplit {
  train: LabelledPost[];
  validation: LabelledPost[];
  test: LabelledPost[];
  /** Unlabelled pool posts whose group lies wholly in the training part: the distillation set. */
  unlabelled: Post[];
  /** Unlabelled pool posts of validation groups: distillation posts once validation joins the development folds. */
  validationUnlabelled: Post[];
  groups: ReadonlyMap<string, string>;
}

/** Splits the labelled posts by group and keeps, of the unlabelled pool, only posts of training and validation groups (never of test groups). */
export function splitBluesky(labelled: readonly LabelledPost[], pool: readonly Post[], seed: number): BlueskySplit {
  const labelledIds = new Set(labelled.map((p) => p.id));
  const everyPost = [...labelled, ...pool.filter((p) => !labelledIds.has(p.id))];
  const groups = groupPosts(everyPost);
  const part = (post: Post) => partOf(groups.get(post.id)!, seed);
  return {
    train: labelled.filter((p) => part(p) === 'train'),
    validation: labelled.filter((p) => part(p) === 'validation'),
    test: labelled.filter((p) => part(p) === 'test'),
    unlabelled: pool.filter((p) => !labelledIds.has(p.id) && part(p) === 'train'),
    validationUnlabelled: pool.filter((p) => !labelledIds.has(p.id) && part(p) === 'validation'),
    groups,
  };
}

const LlmRowSchema = z.object({
  id: z.number(),
  source: z.string(),
  ref: z.string(),
  text: z.string(),
  is_sociopolitical: z.boolean(),
  political_ideology: z.enum(LEANS),
});

/** The older LLM-labelled rows (Crowdflower, tweeteval, 2023–24 Bluesky feeds): a secondary, teacher-agreement check. */
export function readLlmLabelled(dataDir: string): LabelledPost[] {
  return readJsonLines(path.join(dataDir, LLM_LABELLED_FILE), LlmRowSchema, DATA_HINT).map((row) => ({
    id: `llm:${row.id}`,
    text: row.text,
    author: /^at:\/\/(did:[^/]+)/.exec(row.ref)?.[1] ?? null,
    source: row.source,
    sociopolitical: row.is_sociopolitical,
    lean: row.is_sociopolitical ? row.political_ideology : null,
  }));
}

const MetPostSchema = z.object({ user: z.string(), text: z.string(), political: z.boolean(), slant: z.string().nullable() });

/** The research repo's 100 synthetic posts with its own `political` / `slant` labels. */
export function readMetSynthetic(dataDir: string): LabelledPost[] {
  const file = path.join(dataDir, MET_SYNTHETIC_FILE);
  const posts = z.array(MetPostSchema).parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  return posts.map((p, i) => ({
    id: `met:${i}`,
    text: p.text,
    author: null,
    source: 'met_synthetic',
    sociopolitical: p.political,
    lean: p.political ? ((LEANS as readonly string[]).includes(p.slant ?? '') ? (p.slant as Lean) : 'unclear') : null,
  }));
}
