import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parseCsv, readJsonLines } from '../../models/train/dataset.ts';
import { LABELLED_FILE, type Post } from '../../political/train/data.ts';

/** A labelled Bluesky post: `toxic` is the codebook's label (insults, harassment, slurs, threats, dehumanising language or profanity aimed at a person or group). */
export interface ToxicPost extends Post {
  toxic: boolean;
}

const LabelledRowSchema = z.object({ id: z.string(), text: z.string(), author: z.string().nullable(), source: z.string(), toxic: z.union([z.literal(0), z.literal(1)]) });

/** The 4,000 labelled Bluesky posts of the political data directory, with their `toxic` label. */
export function readToxicLabelled(dataDir: string): ToxicPost[] {
  const rows = readJsonLines(path.join(dataDir, LABELLED_FILE), LabelledRowSchema, 'pass the political data directory with --data (see models/toxicity/MODEL_CARD.md)');
  return rows.map(({ toxic, ...post }) => ({ ...post, toxic: toxic === 1 }));
}

/** A tweet rated by annotators: `toxic` is the share who rated it hate speech or offensive. */
export interface RatedTweet {
  text: string;
  toxic: number;
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
 * Davidson et al. (ICWSM 2017) `data/labeled_data.csv` from github.com/t-davidson/hate-speech-and-offensive-language
 * (MIT): 24,783 tweets, each rated by at least three CrowdFlower annotators as hate speech, offensive or neither.
 */
export function readDavidson(file: string): RatedTweet[] {
  const [header, ...rows] = parseCsv(fs.readFileSync(file, 'utf8'));
  const column = (name: string) => {
    const index = header?.indexOf(name) ?? -1;
    if (index < 0) throw new Error(`${file}: no "${name}" column: is this Davidson et al.'s labeled_data.csv?`);
    return index;
  };
  const [count, hate, offensive, tweet] = [column('count'), column('hate_speech'), column('offensive_language'), column('tweet')];
  return rows
    .filter((r) => r.length > tweet)
    .map((r) => ({ text: cleanTweet(r[tweet]!), toxic: (Number(r[hate]) + Number(r[offensive])) / Number(r[count]) }))
    .filter((t) => t.text && Number.isFinite(t.toxic));
}
