import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseCsv } from '../models/train/dataset.ts';
import { fnv1a } from './features.ts';
import { LEANS, type Lean } from './model.ts';

/** One teaching example: text, whether it is sociopolitical, its lean (null when unknown), and the group it must stay with across splits. */
export interface Example {
  text: string;
  sociopolitical: boolean;
  lean: Lean | null;
  group: string;
  source: string;
}

const LlmRowSchema = z.object({
  id: z.number(),
  source: z.string(),
  ref: z.string(),
  text: z.string(),
  is_sociopolitical: z.boolean(),
  political_ideology: z.enum(LEANS),
});

const MetPostSchema = z.object({ user: z.string(), text: z.string(), political: z.boolean(), slant: z.string().nullable() });

/** Near-duplicate key: lower case without links, mentions, hashtags, digits or punctuation (retweets and re-posts collapse). */
export function normaliseText(text: string): string {
  return text
    .toLowerCase()
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/^rt\s+/, ' ')
    .replace(/[@#][\p{L}\p{N}_]+/gu, ' ')
    .replace(/[^\p{L}]+/gu, ' ')
    .trim();
}

/** Posts by one author stay together; where no author is known the normalised text is the group. */
function groupOf(ref: string, text: string): string {
  const did = /^at:\/\/(did:[^/]+)/.exec(ref)?.[1];
  return did ?? `text:${normaliseText(text)}`;
}

export function readLlmLabelled(dataDir: string): Example[] {
  const lines = fs.readFileSync(path.join(dataDir, 'llm_labeled_posts.jsonl'), 'utf8').trim().split('\n');
  return lines.map((line) => {
    const row = LlmRowSchema.parse(JSON.parse(line));
    return { text: row.text, sociopolitical: row.is_sociopolitical, lean: row.is_sociopolitical ? row.political_ideology : null, group: groupOf(row.ref, row.text), source: row.source };
  });
}

/** The 100 synthetic posts of the research repo: `political` and `slant`. */
export function readMetSynthetic(dataDir: string): Example[] {
  const posts = z.array(MetPostSchema).parse(JSON.parse(fs.readFileSync(path.join(dataDir, 'met_synthetic_posts.json'), 'utf8')));
  return posts.map((p) => ({
    text: p.text,
    sociopolitical: p.political,
    lean: p.political ? ((LEANS as readonly string[]).includes(p.slant ?? '') ? (p.slant as Lean) : 'unclear') : null,
    group: `met:${p.user}`,
    source: 'met_synthetic',
  }));
}

function readCrowdflower(dataDir: string): { bias: string; text: string }[] {
  const [, ...rows] = parseCsv(fs.readFileSync(path.join(dataDir, 'crowdflower_political_social_media.csv'), 'utf8').replace(/^\uFEFF/, ''));
  return rows.filter((r) => r[1]).map((r) => ({ bias: r[0]!, text: r[1]! }));
}

/** Politicians' messages rated partisan in tone: taken as extra sociopolitical positives, lean unknown. */
export function readCrowdflowerPartisan(dataDir: string): Example[] {
  return readCrowdflower(dataDir)
    .filter((r) => r.bias === 'partisan')
    .map((r) => ({ text: r.text, sociopolitical: true, lean: null, group: `text:${normaliseText(r.text)}`, source: 'crowdflower_csv' }));
}

/** Every tweet of the SemEval-2016 stance sets (all topics and parts); their stance labels are not about being sociopolitical. */
function readTweetevalTexts(dataDir: string): string[] {
  const root = path.join(dataDir, 'tweeteval_stance');
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((topic) => ['train', 'val', 'test'].flatMap((part) => fs.readFileSync(path.join(root, topic.name, `${part}_text.txt`), 'utf8').split('\n')))
    .filter((line) => line.trim());
}

/**
 * Unlabelled texts for distillation: all Crowdflower messages and stance tweets, from the same sources as most
 * teacher rows, without any text that (near-)duplicates a teacher row, so no held-out post leaks in.
 */
export function readUnlabelledPool(dataDir: string, teacher: readonly Example[]): string[] {
  const isFirst = firstSighting(new Set(teacher.map((e) => normaliseText(e.text))));
  return [...readCrowdflower(dataDir).map((r) => r.text), ...readTweetevalTexts(dataDir)].filter((text) => normaliseText(text) !== '' && isFirst(text));
}

/** A test that passes a text only the first time its near-duplicate key (`normaliseText`) is seen, counting `seen` as seen. */
function firstSighting(seen: Set<string>): (text: string) => boolean {
  return (text) => {
    const key = normaliseText(text);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
}

/** Drops later rows whose normalised text was already seen (exact and near duplicates). */
export function dedupe(examples: readonly Example[], seen = new Set<string>()): Example[] {
  const isFirst = firstSighting(seen);
  return examples.filter((e) => isFirst(e.text));
}

export interface Split {
  train: Example[];
  validation: Example[];
  test: Example[];
}

/** A group's stable place in [0, 1): splits and folds follow it, so a group never straddles two parts. */
const unitHash = (text: string, seed: number): number => fnv1a(text, seed) / 4294967296;

/** The cross-validation fold of a group (0 … folds − 1): a group never spans two folds. */
export function foldOf(group: string, seed: number, folds: number): number {
  return Math.min(folds - 1, Math.floor(unitHash(group, seed) * folds));
}

/** Splits by group hash (no author or text in two parts): ~20% test, ~15% validation for calibration, the rest training. */
export function splitByGroup(examples: readonly Example[], seed: number): Split {
  const split: Split = { train: [], validation: [], test: [] };
  for (const e of examples) {
    const u = unitHash(e.group, seed);
    (u < 0.2 ? split.test : u < 0.35 ? split.validation : split.train).push(e);
  }
  return split;
}
