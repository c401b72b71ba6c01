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

/** Where a token lies in the (normalised) text `scanTokens` reads, and the FNV-1a hash of its lower-case code units. */
export type TokenVisitor = (text: string, start: number, end: number, hash: number) => void;

const WORD = 1;
const SPACE = 2;
const SYMBOL = 3;
const WORD_CHAR = /^[\p{L}\p{M}\p{N}]$/u;
const SPACE_CHAR = /^\s$/u;
/** Character classes of the BMP, filled on first sight (0: not seen yet); astral code points in a map. */
const bmpClasses = new Uint8Array(0x10000);
const astralClasses = new Map<number, number>();
const classify = (codePoint: number) => {
  const char = String.fromCodePoint(codePoint);
  return WORD_CHAR.test(char) ? WORD : SPACE_CHAR.test(char) ? SPACE : SYMBOL;
};
function classOf(codePoint: number): number {
  if (codePoint < 0x10000) return bmpClasses[codePoint] || (bmpClasses[codePoint] = classify(codePoint));
  let known = astralClasses.get(codePoint);
  if (known === undefined) astralClasses.set(codePoint, (known = classify(codePoint)));
  return known;
}
const ASCII = /^[\x00-\x7f]*$/;
const APOSTROPHE = 0x27;
const LOWER_S = 0x73;
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
/** ASCII upper case to lower case, anything else as it is (the scanner lower-cases ASCII text as it reads it). */
const lower = (code: number) => (code >= 0x41 && code <= 0x5a ? code + 0x20 : code);

/** The FNV-1a hash of a string's code units, lower-cased as `scanTokens` hashes them. */
export function tokenHash(text: string, start = 0, end = text.length): number {
  let hash = FNV_OFFSET;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ lower(text.charCodeAt(i)), FNV_PRIME);
  return hash;
}

/**
 * The tokens of `words(text)`, found in one pass without building a string per token: the embedder's hot path.
 * An ASCII text is read as it is (NFKC leaves it alone; upper case is folded while hashing); any other is
 * normalised as `words` does first. `visit` gets each token's span in the text it read (lower-case it with
 * `tokenText`) and its hash.
 */
export function scanTokens(input: string, visit: TokenVisitor): void {
  const text = ASCII.test(input) ? input : input.normalize('NFKC').toLowerCase().replace(/[‘’]/g, "'");
  const n = text.length;
  let i = 0;
  while (i < n) {
    const unit = text.charCodeAt(i);
    const kind = unit < 0x80 ? ASCII_CLASSES[unit]! : classOf(codePointAt(text, i, n));
    if (kind === WORD) {
      // Runs of word characters, joined by inner apostrophes unless the apostrophe starts a possessive "'s".
      const start = i;
      let hash = FNV_OFFSET;
      for (;;) {
        for (;;) {
          const code = text.charCodeAt(i);
          if (code < 0x80) {
            if (ASCII_CLASSES[code] !== WORD) break;
            hash = Math.imul(hash ^ lower(code), FNV_PRIME);
            i++;
          } else {
            if (!wordAt(text, i, n)) break;
            hash = Math.imul(hash ^ code, FNV_PRIME);
            if (++i < n && isSurrogatePair(code, text.charCodeAt(i))) hash = Math.imul(hash ^ text.charCodeAt(i++), FNV_PRIME);
          }
        }
        if (text.charCodeAt(i) !== APOSTROPHE || !wordAt(text, i + 1, n) || possessiveAt(text, i, n)) break;
        hash = Math.imul(hash ^ APOSTROPHE, FNV_PRIME);
        i++;
      }
      visit(text, start, i, hash);
    } else if (unit === APOSTROPHE && possessiveAt(text, i, n)) {
      visit(text, i, i + 2, tokenHash(text, i, i + 2));
      i += 2;
    } else {
      const width = unit >= 0xd800 && unit <= 0xdbff && i + 1 < n && isSurrogatePair(unit, text.charCodeAt(i + 1)) ? 2 : 1;
      if (kind === SYMBOL) visit(text, i, i + width, tokenHash(text, i, i + width));
      i += width;
    }
  }
}

/** Classes of the ASCII characters (NaN, past the end of a text, reads as 0: no class). */
const ASCII_CLASSES = Uint8Array.from({ length: 0x80 }, (_, code) => classify(code));
const isSurrogatePair = (high: number, low: number) => high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff;
/** The code point at i: a surrogate pair read as one, a lone surrogate as itself (as a /u regex reads them). */
function codePointAt(text: string, i: number, n: number): number {
  const unit = text.charCodeAt(i);
  return i + 1 < n && isSurrogatePair(unit, text.charCodeAt(i + 1)) ? text.codePointAt(i)! : unit;
}
/** Is the code point at i a word character (false past the end)? */
function wordAt(text: string, i: number, n: number): boolean {
  if (i >= n) return false;
  const unit = text.charCodeAt(i);
  return (unit < 0x80 ? ASCII_CLASSES[unit] : classOf(codePointAt(text, i, n))) === WORD;
}
/** Is there a possessive "'s" at i (the apostrophe, an s, then no word character)? */
function possessiveAt(text: string, i: number, n: number): boolean {
  return text.charCodeAt(i) === APOSTROPHE && lower(text.charCodeAt(i + 1)) === LOWER_S && !wordAt(text, i + 2, n);
}

/** The lower-case text of a token `scanTokens` visited, as `words` spells it. */
export const tokenText = (text: string, start: number, end: number) => text.slice(start, end).toLowerCase();

/**
 * The row every text with at least one known word or piece adds once: a learned offset, where the teacher puts a
 * text before its words say anything (short texts lean on it). No text can spell it as one token.
 */
export const TEXT_OFFSET = '<text>';

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

/**
 * Token → row, looked up by the span and hash `scanTokens` gives, so that a known token never becomes a
 * string of its own (open addressing over one array of code units).
 */
export class TokenTable {
  readonly size: number;
  readonly #mask: number;
  /** Per slot: entry + 1, 0 when empty. */
  readonly #slots: Int32Array;
  readonly #hashes: Int32Array;
  readonly #starts: Int32Array;
  readonly #rows: Int32Array;
  readonly #units: Uint16Array;

  constructor(tokens: ReadonlyMap<string, number>) {
    this.size = tokens.size;
    let capacity = 16;
    while (capacity < tokens.size * 2) capacity *= 2;
    this.#mask = capacity - 1;
    this.#slots = new Int32Array(capacity);
    this.#hashes = new Int32Array(tokens.size);
    this.#starts = new Int32Array(tokens.size + 1);
    this.#rows = new Int32Array(tokens.size);
    let units = 0;
    for (const token of tokens.keys()) units += token.length;
    this.#units = new Uint16Array(units);
    let entry = 0;
    for (const [token, row] of tokens) {
      const start = this.#starts[entry]!;
      for (let i = 0; i < token.length; i++) this.#units[start + i] = token.charCodeAt(i);
      this.#starts[entry + 1] = start + token.length;
      const hash = tokenHash(token);
      this.#hashes[entry] = hash;
      this.#rows[entry] = row;
      let slot = hash & this.#mask;
      while (this.#slots[slot] !== 0) slot = (slot + 1) & this.#mask;
      this.#slots[slot] = entry + 1;
      entry++;
    }
  }

  /** The row of the token at text[start, end) (compared lower-cased, as hashed), or -1. */
  find(text: string, start: number, end: number, hash: number): number {
    const length = end - start;
    for (let slot = hash & this.#mask; this.#slots[slot] !== 0; slot = (slot + 1) & this.#mask) {
      const entry = this.#slots[slot]! - 1;
      if (this.#hashes[entry] !== hash) continue;
      const from = this.#starts[entry]!;
      if (this.#starts[entry + 1]! - from !== length) continue;
      let i = 0;
      while (i < length && this.#units[from + i] === lower(text.charCodeAt(start + i))) i++;
      if (i === length) return this.#rows[entry]!;
    }
    return -1;
  }

  /** The row of a token spelt in lower case, or -1. */
  get(token: string): number {
    return this.find(token, 0, token.length, tokenHash(token));
  }
}
