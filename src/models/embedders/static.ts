import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { STATIC_EMBEDDER, type Embedder } from './embedder.ts';
import { CONTINUATION, PieceSegmenter, scanTokens, TEXT_OFFSET, tokenText, TokenTable, words, type Piece, type TokenVisitor } from './static-tokenizer.ts';

/** `config.json` of a static embedding model: what the table holds and how it was made (the model card tells the rest). */
export const StaticConfigSchema = z.object({
  format: z.literal('skysift-static-embeddings/1'),
  name: z.string().min(1),
  /** A multiple of 8: the embedder sums eight dimensions at a time. */
  dimensions: z.number().int().positive().multipleOf(8),
  rows: z.number().int().positive(),
  /** `embeddings.bin`: `rows` float32 row scales (little-endian), then `rows × dimensions` int8 values; row i = scale[i] · int8 row i. */
  quantisation: z.literal('int8-row-scale'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  teacher: z.string(),
  build: z.record(z.string(), z.unknown()),
});
export type StaticConfig = z.infer<typeof StaticConfigSchema>;

/** The shipped model, found beside the code (like the npm-shipped encoder) whatever MODELS_DIR says. */
export const SHIPPED_STATIC_MODEL = fileURLToPath(new URL(`../../../models/${STATIC_EMBEDDER}/`, import.meta.url));

/** A word seen more than this many times unknown is segmented again rather than remembered (bounded memory on hostile input). */
const UNKNOWN_CACHE_LIMIT = 50_000;

/**
 * A static embedding model (Model2Vec-style, distilled from the Universal Sentence Encoder): every word
 * of the vocabulary has a vector, already scaled by its weight; a text's embedding is the normalised sum
 * of its words' vectors, an unknown word counting as the mean of its SentencePiece pieces. No tensor
 * runtime, no async work: `embedSync` is a few microseconds per post, so callers may use it in hot paths.
 */
export class StaticEmbedder implements Embedder {
  readonly name: string;
  readonly dimensions: number;
  readonly config: StaticConfig;
  readonly #words: TokenTable;
  /** The row of the learned offset every text adds (`TEXT_OFFSET`), -1 in a model built without one. */
  readonly #offsetRow: number;
  readonly #segmenter: PieceSegmenter;
  readonly #scales: Float32Array;
  /** The int8 table read four values at a time (little-endian words; rows start on 8-byte boundaries). */
  readonly #packed: Int32Array;
  readonly #unknown = new Map<string, Int32Array>();
  /**
   * The rows of the text being embedded (word offsets into `#packed`) and their scales times weights, reused
   * from text to text and grown for long ones (embedding is synchronous, so never shared).
   */
  #offsets = new Int32Array(256);
  #weights = new Float64Array(256);
  #used = 0;
  /** The weighted sum of the text being embedded, before normalisation. */
  readonly #sum: Float64Array;

  constructor(config: StaticConfig, tokens: readonly string[], bytes: Uint8Array) {
    this.config = config;
    this.name = config.name;
    this.dimensions = config.dimensions;
    const { rows, dimensions } = config;
    // The table is read as little-endian 32-bit words (four int8 values at once).
    if (os.endianness() !== 'LE') throw new Error('static embeddings are stored little-endian; this machine is big-endian');
    if (tokens.length !== rows) throw new Error(`tokens.txt has ${tokens.length} tokens, config.json says ${rows}`);
    if (bytes.length !== rows * 4 + rows * dimensions) throw new Error(`embeddings.bin has ${bytes.length} bytes, expected ${rows * 4 + rows * dimensions}`);
    // Copies of the two regions, so that the views are aligned and independent of the buffer they came from
    // (a Node Buffer is a view into a larger ArrayBuffer: its `.buffer` starts elsewhere).
    this.#scales = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + rows * 4));
    this.#packed = new Int32Array(bytes.buffer.slice(bytes.byteOffset + rows * 4, bytes.byteOffset + bytes.length));
    this.#sum = new Float64Array(dimensions);
    const wordRows = new Map<string, number>();
    const pieces = new Map<string, Piece>();
    tokens.forEach((line, row) => {
      const [token, score] = line.split('\t');
      if (score === undefined) wordRows.set(token!, row);
      else pieces.set(token!.startsWith(CONTINUATION) ? token!.slice(CONTINUATION.length) : token!, { row, score: Number(score) });
    });
    this.#words = new TokenTable(wordRows);
    this.#offsetRow = wordRows.get(TEXT_OFFSET) ?? -1;
    this.#segmenter = new PieceSegmenter(pieces);
  }

  /** Loads a model folder (`config.json`, `tokens.txt`, `embeddings.bin`), checking its size and checksum. */
  static load(dir: string = SHIPPED_STATIC_MODEL): StaticEmbedder {
    const read = (file: string) => {
      try {
        return fs.readFileSync(path.join(dir, file));
      } catch (error) {
        throw new Error(`static embedding model in ${dir} is incomplete: ${(error as Error).message}`);
      }
    };
    const config = StaticConfigSchema.parse(JSON.parse(read('config.json').toString('utf8')));
    const tokens = read('tokens.txt').toString('utf8').replace(/\n$/, '').split('\n');
    const bytes = read('embeddings.bin');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== config.sha256) throw new Error(`static embedding model in ${dir}: embeddings.bin does not match the checksum in config.json (damaged or from another build)`);
    return new StaticEmbedder(config, tokens, bytes);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return this.embedSync(texts);
  }

  /** One L2-normalised vector per text; a text with no known word or piece (empty, only unknown symbols) gets the zero vector. */
  embedSync(texts: readonly string[]): Float32Array[] {
    return texts.map((text) => this.embedText(text));
  }

  embedText(text: string): Float32Array {
    this.#used = 0;
    scanTokens(text, this.#addToken);
    if (this.#used > 0 && this.#offsetRow >= 0) this.#use(this.#offsetRow, 1);
    return normalisedSum(this.#packed, this.#offsets, this.#weights, this.#used, this.#sum);
  }

  /** Adds a token of the text being embedded: its row, or the mean of its pieces' rows for a word outside the vocabulary. */
  readonly #addToken: TokenVisitor = (text, start, end, hash) => {
    const row = this.#words.find(text, start, end, hash);
    if (row >= 0) this.#use(row, 1);
    else {
      const pieces = this.piecesOf(tokenText(text, start, end));
      for (let p = 0; p < pieces.length; p++) this.#use(pieces[p]!, 1 / pieces.length);
    }
  };

  /** The rows a text's tokens use, for inspection and fitting: a known word's row, or its pieces' rows; then the offset row, as `embedText` sums them. */
  rowsOf(text: string): { word: string; rows: number[]; known: boolean }[] {
    const tokens = words(text).map((word) => {
      const row = this.#words.get(word);
      return row >= 0 ? { word, rows: [row], known: true } : { word, rows: [...this.piecesOf(word)], known: false };
    });
    const used = tokens.some((token) => token.rows.length > 0);
    return used && this.#offsetRow >= 0 ? [...tokens, { word: TEXT_OFFSET, rows: [this.#offsetRow], known: true }] : tokens;
  }

  /** The fallback rows of a word outside the vocabulary, remembered per word (bounded). */
  piecesOf(word: string): Int32Array {
    let rows = this.#unknown.get(word);
    if (!rows) {
      rows = Int32Array.from(this.#segmenter.segment(word));
      if (this.#unknown.size >= UNKNOWN_CACHE_LIMIT) this.#unknown.clear();
      this.#unknown.set(word, rows);
    }
    return rows;
  }

  /** Adds a row, times a weight, to the text being embedded. */
  #use(row: number, weight: number) {
    const used = this.#used;
    if (used === this.#offsets.length) {
      const offsets = new Int32Array(used * 2);
      offsets.set(this.#offsets);
      this.#offsets = offsets;
      const weights = new Float64Array(used * 2);
      weights.set(this.#weights);
      this.#weights = weights;
    }
    this.#offsets[used] = row * (this.dimensions >> 2);
    this.#weights[used] = this.#scales[row]! * weight;
    this.#used = used + 1;
  }
}

/**
 * The normalised weighted sum of the first `used` rows (offsets into `packed`, in 32-bit words), dequantising on the fly (the int8 table stays 4×
 * smaller than float32 in memory). The hot loop of the embedder, three times faster than summing row after
 * row: eight dimensions at a time are summed over all the rows in registers (two 32-bit loads carry eight
 * int8 values), so the sum is stored once rather than once per row (dimensions are a multiple of 8).
 */
function normalisedSum(packed: Int32Array, offsets: Int32Array, weights: Float64Array, used: number, sum: Float64Array): Float32Array {
  let squares = 0;
  for (let k = 0, word = 0; k < sum.length; k += 8, word += 2) {
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0,
      s4 = 0,
      s5 = 0,
      s6 = 0,
      s7 = 0;
    for (let r = 0; r < used; r++) {
      const w = weights[r]!;
      const o = offsets[r]! + word;
      const x = packed[o]!;
      const y = packed[o + 1]!;
      s0 += w * ((x << 24) >> 24);
      s1 += w * ((x << 16) >> 24);
      s2 += w * ((x << 8) >> 24);
      s3 += w * (x >> 24);
      s4 += w * ((y << 24) >> 24);
      s5 += w * ((y << 16) >> 24);
      s6 += w * ((y << 8) >> 24);
      s7 += w * (y >> 24);
    }
    sum[k] = s0;
    sum[k + 1] = s1;
    sum[k + 2] = s2;
    sum[k + 3] = s3;
    sum[k + 4] = s4;
    sum[k + 5] = s5;
    sum[k + 6] = s6;
    sum[k + 7] = s7;
    squares += s0 * s0 + s1 * s1 + s2 * s2 + s3 * s3 + s4 * s4 + s5 * s5 + s6 * s6 + s7 * s7;
  }
  const out = new Float32Array(sum.length);
  if (squares > 0) {
    const inverse = 1 / Math.sqrt(squares);
    for (let k = 0; k < sum.length; k++) out[k] = sum[k]! * inverse;
  }
  return out;
}
/** Opens a static model folder; the registry calls this for `skysift-static-v1`. */
export function openStaticEmbedder(dir: string = SHIPPED_STATIC_MODEL): Embedder {
  return StaticEmbedder.load(dir);
}
