import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { STATIC_EMBEDDER, type Embedder } from './embedder.ts';
import { CONTINUATION, PieceSegmenter, words, type Piece } from './static-tokenizer.ts';

/** `config.json` of a static embedding model: what the table holds and how it was made (the model card tells the rest). */
export const StaticConfigSchema = z.object({
  format: z.literal('skysift-static-embeddings/1'),
  name: z.string().min(1),
  /** A multiple of 8: the embedder's inner loop is unrolled by 8. */
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
  readonly #words: ReadonlyMap<string, number>;
  readonly #segmenter: PieceSegmenter;
  readonly #scales: Float32Array;
  readonly #values: Int8Array;
  readonly #unknown = new Map<string, Int32Array>();
  /** The running sum of the text being embedded, reused from text to text (embedding is synchronous, so never shared). */
  readonly #sum: Float32Array;

  constructor(config: StaticConfig, tokens: readonly string[], bytes: Uint8Array) {
    this.config = config;
    this.name = config.name;
    this.dimensions = config.dimensions;
    const { rows, dimensions } = config;
    if (tokens.length !== rows) throw new Error(`tokens.txt has ${tokens.length} tokens, config.json says ${rows}`);
    if (bytes.length !== rows * 4 + rows * dimensions) throw new Error(`embeddings.bin has ${bytes.length} bytes, expected ${rows * 4 + rows * dimensions}`);
    // Copies of the two regions, so that the views are aligned and independent of the buffer they came from
    // (a Node Buffer is a view into a larger ArrayBuffer: its `.buffer` starts elsewhere).
    this.#scales = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + rows * 4));
    this.#values = new Int8Array(bytes.buffer.slice(bytes.byteOffset + rows * 4, bytes.byteOffset + bytes.length));
    this.#sum = new Float32Array(dimensions);
    const wordRows = new Map<string, number>();
    const pieces = new Map<string, Piece>();
    tokens.forEach((line, row) => {
      const [token, score] = line.split('\t');
      if (score === undefined) wordRows.set(token!, row);
      else pieces.set(token!.startsWith(CONTINUATION) ? token!.slice(CONTINUATION.length) : token!, { row, score: Number(score) });
    });
    this.#words = wordRows;
    this.#segmenter = new PieceSegmenter(pieces);
  }

  /** Loads a model folder (`config.json`, `tokens.txt`, `embeddings.bin`), checking its size and checksum. */
  static load(dir: string = SHIPPED_STATIC_MODEL): StaticEmbedder {
    if (os.endianness() !== 'LE') throw new Error('static embeddings are stored little-endian; this machine is big-endian');
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
    const sum = this.#sum;
    sum.fill(0);
    const tokens = words(text);
    for (let t = 0; t < tokens.length; t++) {
      const word = tokens[t]!;
      const row = this.#words.get(word);
      if (row !== undefined) this.#accumulate(row, 1);
      else {
        const pieces = this.piecesOf(word);
        for (let p = 0; p < pieces.length; p++) this.#accumulate(pieces[p]!, 1 / pieces.length);
      }
    }
    let squares = 0;
    for (let k = 0; k < sum.length; k++) squares += sum[k]! * sum[k]!;
    const out = new Float32Array(sum.length);
    if (squares > 0) {
      const inverse = 1 / Math.sqrt(squares);
      for (let k = 0; k < sum.length; k++) out[k] = sum[k]! * inverse;
    }
    return out;
  }

  /** The rows a text's tokens use, for inspection: a known word's row, or its pieces' rows. */
  rowsOf(text: string): { word: string; rows: number[]; known: boolean }[] {
    return words(text).map((word) => {
      const row = this.#words.get(word);
      return row !== undefined ? { word, rows: [row], known: true } : { word, rows: [...this.piecesOf(word)], known: false };
    });
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

  /**
   * sum += weight · row, dequantising on the fly (the int8 table stays 4× smaller than float32 in memory).
   * Unrolled by 8 (dimensions are a multiple of 8): the hot loop of the embedder, a third faster so.
   */
  #accumulate(row: number, weight: number) {
    const sum = this.#sum;
    const values = this.#values;
    const dimensions = sum.length;
    const scale = this.#scales[row]! * weight;
    for (let k = 0, o = row * dimensions; k < dimensions; k += 8, o += 8) {
      sum[k]! += scale * values[o]!;
      sum[k + 1]! += scale * values[o + 1]!;
      sum[k + 2]! += scale * values[o + 2]!;
      sum[k + 3]! += scale * values[o + 3]!;
      sum[k + 4]! += scale * values[o + 4]!;
      sum[k + 5]! += scale * values[o + 5]!;
      sum[k + 6]! += scale * values[o + 6]!;
      sum[k + 7]! += scale * values[o + 7]!;
    }
  }
}

/** Opens a static model folder; the registry calls this for `skysift-static-v1`. */
export function openStaticEmbedder(dir: string = SHIPPED_STATIC_MODEL): Embedder {
  return StaticEmbedder.load(dir);
}
