/**
 * How the static embedder cuts text: the build and inference share this file, so a token means the same
 * thing on both sides. Words are runs of letters, marks and digits (inner apostrophes kept, "don't"; a
 * possessive "'s" is a token of its own, so "biden's" is "biden" + "'s"), every other visible character is
 * a token of its own ("!", "#", an emoji); all after NFKC and lower case.
 */
const TOKEN = /[\p{L}\p{M}\p{N}]+(?:'(?!s(?![\p{L}\p{M}\p{N}]))[\p{L}\p{M}\p{N}]+)*|'s(?![\p{L}\p{M}\p{N}])|[^\s\p{L}\p{M}\p{N}]/gu;

export function words(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().replace(/[‘’]/g, "'").match(TOKEN) ?? [];
}

/** The teacher's SentencePiece marker for "a word starts here". */
export const WORD_START = '\u2581';
/** Prefix of a continuation piece in the static vocabulary ("##ing"), so that it never collides with the word "ing". */
export const CONTINUATION = '##';

/** One SentencePiece piece of the fallback: its row in the embedding table and its unigram log-probability. */
export interface Piece {
  row: number;
  score: number;
}

/** A character no piece covers costs this much and adds no vector (the teacher maps it to its unknown token). */
const UNCOVERED_SCORE = -100;

/**
 * The unknown-word fallback: the most probable split of `▁word` into the teacher's SentencePiece pieces
 * (unigram-LM Viterbi, as SentencePiece itself segments), each piece a row of the table.
 */
export class PieceSegmenter {
  readonly #pieces: ReadonlyMap<string, Piece>;
  readonly #longest: number;

  /** `pieces` is keyed by the teacher's own spelling: `▁ab` (starts a word) or `ab` (continues one). */
  constructor(pieces: ReadonlyMap<string, Piece>) {
    this.#pieces = pieces;
    this.#longest = Math.max(1, ...[...pieces.keys()].map((p) => p.length));
  }

  /** The table rows of the word's pieces, in order; characters no piece covers are left out. */
  segment(word: string): number[] {
    const text = WORD_START + word;
    const n = text.length;
    const best = new Float64Array(n + 1).fill(-Infinity);
    const start = new Int32Array(n + 1);
    const rows = new Int32Array(n + 1);
    best[0] = 0;
    for (let end = 1; end <= n; end++) {
      for (let from = Math.max(0, end - this.#longest); from < end; from++) {
        if (best[from] === -Infinity) continue;
        const piece = this.#pieces.get(text.slice(from, end));
        const score = piece ? piece.score : end - from === 1 ? UNCOVERED_SCORE : undefined;
        if (score === undefined || best[from]! + score <= best[end]!) continue;
        best[end] = best[from]! + score;
        start[end] = from;
        rows[end] = piece ? piece.row : -1;
      }
    }
    const out: number[] = [];
    for (let end = n; end > 0; end = start[end]!) if (rows[end]! >= 0) out.push(rows[end]!);
    return out.reverse();
  }
}
