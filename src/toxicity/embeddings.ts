import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { openUniversalSentenceEncoder } from '../models/embedders/universal-sentence-encoder.ts';
import { fromBase64, toBase64 } from '../political/model.ts';

const DIMENSIONS = 512;
const BATCH = 64;

const key = (text: string) => createHash('sha256').update(text).digest('base64url');

/**
 * Universal Sentence Encoder embeddings of the training texts. Embedding tens of thousands of posts
 * takes minutes, so with a `cacheFile` (JSON lines, outside the repository) each text is embedded once
 * across runs, and an interrupted run resumes where it stopped.
 */
export async function embedTexts(texts: readonly string[], cacheFile?: string): Promise<Map<string, Float32Array>> {
  const cached = new Map<string, Float32Array>();
  if (cacheFile && fs.existsSync(cacheFile)) {
    for (const line of fs.readFileSync(cacheFile, 'utf8').split('\n')) {
      if (!line) continue;
      const { k, e } = JSON.parse(line) as { k: string; e: string };
      cached.set(k, fromBase64(e, DIMENSIONS));
    }
  }
  const result = new Map<string, Float32Array>();
  const missing = [...new Set(texts)].filter((text) => {
    const vector = cached.get(key(text));
    if (vector) result.set(text, vector);
    return !vector;
  });
  if (!missing.length) return result;
  console.log(`embedding ${missing.length} texts with the Universal Sentence Encoder (${result.size} cached)…`);
  const started = Date.now();
  const encoder = await openUniversalSentenceEncoder();
  // Texts of similar length share a batch, so little time goes into padding.
  missing.sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
  for (let i = 0; i < missing.length; i += BATCH) {
    const batch = missing.slice(i, i + BATCH);
    const vectors = await encoder.embed(batch);
    batch.forEach((text, j) => result.set(text, vectors[j]!));
    if (cacheFile) fs.appendFileSync(cacheFile, batch.map((text, j) => `${JSON.stringify({ k: key(text), e: toBase64(vectors[j]!) })}\n`).join(''));
  }
  console.log(`embedded in ${Math.round((Date.now() - started) / 1000)} s`);
  return result;
}
