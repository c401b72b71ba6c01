import fs from 'node:fs';
import { z } from 'zod';
import { parseCsv } from '../models/train/dataset.ts';
import { normaliseText } from '../political/data.ts';

/** One teaching example: the text, how toxic (1/0, or a share of annotators), its weight, and the group it must stay with across splits. */
export interface ToxicExample {
  text: string;
  toxic: number;
  weight: number;
  group: string;
  source: string;
}

const BlueskyRowSchema = z.object({ text: z.string(), author: z.string().nullable(), source: z.string(), toxic: z.union([z.literal(0), z.literal(1)]) });

/**
 * `bluesky_labeled.jsonl`: recent Bluesky posts with a `toxic` label. A post stays with its author; the
 * rows without one (a random firehose sample) are grouped by their near-duplicate text, as the
 * political trainer groups them, so a repeated post never sits on both sides of a split.
 */
export function readBlueskyToxic(file: string): ToxicExample[] {
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line, i) => {
      const parsed = BlueskyRowSchema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`${file} line ${i + 1}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
      const row = parsed.data;
      return { text: row.text, toxic: row.toxic, weight: 1, group: row.author ?? `text:${normaliseText(row.text)}`, source: row.source };
    });
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Tweets carry HTML entities and retweet prefixes that posts never have. */
function cleanTweet(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => ENTITIES[name]!)
    .replace(/^(\s*!*\s*RT @\w+:?\s*)+/, '')
    .trim();
}

/**
 * Davidson et al. (ICWSM 2017) `labeled_data.csv` (github.com/t-davidson/hate-speech-and-offensive-language,
 * MIT): 24,783 tweets, each rated by at least three annotators as hate speech, offensive or neither. The
 * target is the share who rated it hate speech or offensive.
 */
export function readDavidson(file: string): ToxicExample[] {
  const [header, ...rows] = parseCsv(fs.readFileSync(file, 'utf8'));
  const column = (name: string) => {
    const index = header?.indexOf(name) ?? -1;
    if (index < 0) throw new Error(`${file}: no "${name}" column: is this Davidson et al.'s labeled_data.csv?`);
    return index;
  };
  const [count, hate, offensive, tweet] = [column('count'), column('hate_speech'), column('offensive_language'), column('tweet')];
  return rows
    .filter((r) => r.length > tweet)
    .map((r) => {
      const text = cleanTweet(r[tweet]!);
      return { text, toxic: (Number(r[hate]) + Number(r[offensive])) / Number(r[count]), weight: 1, group: `text:${normaliseText(text)}`, source: 'davidson' };
    })
    .filter((e) => e.text && Number.isFinite(e.toxic));
}

const PoolRowSchema = z.object({ text: z.string() });

/** `bluesky_pool.jsonl`: unlabelled Bluesky posts, the texts a teacher labels for distillation. */
export function readBlueskyPool(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => PoolRowSchema.parse(JSON.parse(line)).text)
    .filter((text) => text.trim());
}
