import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Embedder } from '../embedders/embedder.ts';

const KEY_BYTES = 32;

const keyOf = (text: string) => createHash('sha256').update(text).digest();

/**
 * Sentence embeddings of training texts, kept on disk between runs (the Universal Sentence Encoder does ~40 texts/s
 * here, so a full run embeds for minutes once and seconds after). One append-only file per embedder:
 * records of sha256(text) then `dimensions` float32s. Appended batch by batch, so an interrupted run keeps its work.
 */
export class EmbeddingCache {
  readonly #vectors = new Map<string, Float32Array>();
  readonly #file: string;

  constructor(
    cacheDir: string,
    readonly embedder: Pick<Embedder, 'name' | 'dimensions' | 'embed'>,
  ) {
    this.#file = path.join(cacheDir, `${embedder.name}.f32`);
    if (!fs.existsSync(this.#file)) return;
    const bytes = fs.readFileSync(this.#file);
    const record = KEY_BYTES + embedder.dimensions * 4;
    // A run killed mid-write leaves a partial record at the end: it is ignored (and overwritten by the next append).
    for (let offset = 0; offset + record <= bytes.length; offset += record) {
      const vector = new Float32Array(embedder.dimensions);
      new Uint8Array(vector.buffer).set(bytes.subarray(offset + KEY_BYTES, offset + record));
      this.#vectors.set(bytes.subarray(offset, offset + KEY_BYTES).toString('hex'), vector);
    }
  }

  get size(): number {
    return this.#vectors.size;
  }

  /** The cached embedding of `text`; throws if `ensure` never embedded it (a bug in the caller, not missing data). */
  get(text: string): Float32Array {
    const vector = this.#vectors.get(keyOf(text).toString('hex'));
    if (!vector) throw new Error(`no cached ${this.embedder.name} embedding for ${JSON.stringify(text.slice(0, 60))}`);
    return vector;
  }

  /** Embeds the texts not cached yet, in length-sorted batches, appending each batch to the file; `progress` hears (done, total). */
  async ensure(texts: Iterable<string>, { batchSize = 64, progress }: { batchSize?: number; progress?: (done: number, total: number) => void } = {}): Promise<number> {
    const missing = [...new Set(texts)].filter((t) => !this.#vectors.has(keyOf(t).toString('hex')));
    missing.sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
    if (missing.length) fs.mkdirSync(path.dirname(this.#file), { recursive: true });
    this.#truncatePartialRecord();
    for (let start = 0; start < missing.length; start += batchSize) {
      const batch = missing.slice(start, start + batchSize);
      const vectors = await this.embedder.embed(batch);
      const chunks: Buffer[] = [];
      batch.forEach((text, i) => {
        const key = keyOf(text);
        const vector = Float32Array.from(vectors[i]!);
        this.#vectors.set(key.toString('hex'), vector);
        chunks.push(key, Buffer.from(vector.buffer));
      });
      fs.appendFileSync(this.#file, Buffer.concat(chunks));
      progress?.(Math.min(start + batchSize, missing.length), missing.length);
    }
    return missing.length;
  }

  #truncatePartialRecord() {
    if (!fs.existsSync(this.#file)) return;
    const record = KEY_BYTES + this.embedder.dimensions * 4;
    const size = fs.statSync(this.#file).size;
    if (size % record) fs.truncateSync(this.#file, size - (size % record));
  }
}
