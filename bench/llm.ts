import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { LlmClassifier } from '../src/llm/classifier.ts';
import { openDatabase } from '../src/store/database.ts';
import { ChatCompletionsServer } from '../test/support/chat-completions-server.ts';
import { recordedTexts } from './_posts.ts';

/**
 * The LLM path's own overhead, against the loopback chat-completions server that answers at once:
 * posts/s through prompt building, HTTP, answer parsing and the SQLite cache (a real endpoint adds
 * seconds per request), then posts/s answered from the cache alone.
 */
export async function run(): Promise<Record<string, number | string>> {
  const texts = recordedTexts();
  const server = new ChatCompletionsServer();
  const baseUrl = await server.start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-bench-llm-'));
  const { db } = openDatabase(path.join(dir, 'skysift.sqlite'));
  try {
    const classifier = new LlmClassifier({
      baseUrl,
      model: server.model,
      timeoutMs: 10_000,
      batchSize: 20,
      concurrency: 4,
      requestsPerMinute: 1e9,
      maxAttempts: 1,
      db,
      logger: pino({ level: 'silent' }),
    });
    let start = performance.now();
    await classifier.classify(texts);
    const uncachedSeconds = (performance.now() - start) / 1000;
    start = performance.now();
    for (let i = 0; i < 10; i++) await classifier.classify(texts);
    const cachedSeconds = (performance.now() - start) / 1000;
    if (classifier.stats.failed) throw new Error(`${classifier.stats.failed} posts failed`);
    return {
      posts: texts.length,
      requests: server.requests.length,
      'uncached posts/s (batch 20, 4 in flight)': Math.round(texts.length / uncachedSeconds),
      'cached posts/s': Math.round((texts.length * 10) / cachedSeconds),
    };
  } finally {
    db.close();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
