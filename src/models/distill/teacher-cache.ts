import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Embedder } from '../embedders/embedder.ts';

const HASH_BYTES = 20;

/**
 * The teacher's embeddings on disk, so that a rebuild only encodes what it has not seen: one append-only
 * file of records (sha1 of the text, then its float32 vector). The teacher runs at tens of texts per
 * second, so the cache is what makes a rerun of the build take minutes instead of an hour. Records are
 * appended after every batch; an interrupted run loses at most one batch.
 */
export class TeacherCache {
  readonly #vectors = new Map<string, Float32Array>();
  readonly #file: string;

  constructor(
    dir: string,
    readonly teacher: Pick<Embedder, 'name' | 'dimensions' | 'embed'>,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.#file = path.join(dir, `${teacher.name}.${teacher.dimensions}.bin`);
    const record = HASH_BYTES + teacher.dimensions * 4;
    const bytes = fs.existsSync(this.#file) ? fs.readFileSync(this.#file) : Buffer.alloc(0);
    const whole = bytes.length - (bytes.length % record);
    for (let offset = 0; offset < whole; offset += record) {
      const key = bytes.subarray(offset, offset + HASH_BYTES).toString('hex');
      const vector = new Float32Array(teacher.dimensions);
      Buffer.from(vector.buffer).set(bytes.subarray(offset + HASH_BYTES, offset + record));
      this.#vectors.set(key, vector);
    }
    // A torn last record (killed mid-write) is dropped so that appends stay aligned.
    if (whole !== bytes.length) fs.truncateSync(this.#file, whole);
  }

  get size() {
    return this.#vectors.size;
  }

  get(text: string): Float32Array {
    const vector = this.#vectors.get(keyOf(text));
    if (!vector) throw new Error(`teacher embedding missing for ${JSON.stringify(text.slice(0, 60))}: call ensure() first`);
    return vector;
  }

  /** Encodes the texts not cached yet, in batches of similar length, reporting progress now and then. */
  async ensure(texts: Iterable<string>, { batchSize, label }: { batchSize: number; label: string }): Promise<void> {
    const missing = [...new Set(texts)].filter((text) => !this.#vectors.has(keyOf(text))).sort((a, b) => a.length - b.length);
    if (!missing.length) return;
    const started = performance.now();
    let lastReport = started;
    for (let start = 0; start < missing.length; start += batchSize) {
      const batch = missing.slice(start, start + batchSize);
      const vectors = await this.teacher.embed(batch);
      const chunks: Buffer[] = [];
      batch.forEach((text, i) => {
        const vector = Float32Array.from(vectors[i]!);
        const key = keyOf(text);
        this.#vectors.set(key, vector);
        chunks.push(Buffer.from(key, 'hex'), Buffer.from(vector.buffer));
      });
      fs.appendFileSync(this.#file, Buffer.concat(chunks));
      const now = performance.now();
      if (now - lastReport > 30_000) {
        lastReport = now;
        const done = start + batch.length;
        const rate = (done * 1000) / (now - started);
        console.error(`  teacher (${label}): ${done}/${missing.length}, ${rate.toFixed(1)}/s, ~${Math.round((missing.length - done) / rate)} s left`);
      }
    }
  }
}

const keyOf = (text: string) => createHash('sha1').update(text).digest('hex');
