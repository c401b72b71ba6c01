import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from 'better-sqlite3';
import { featureKind, type FeatureProvider } from '../core/features.ts';
import { serviceKey } from '../core/services.ts';
import type { Logger } from '../log.ts';
import { LlmCache } from './cache.ts';
import { ChatClient, LlmCallError, type ChatClientOptions } from './client.ts';
import { RequestLimiter } from './limiter.ts';
import { buildMessages, MalformedAnswerError, parseAnswer, PROMPT_VERSION, RESPONSE_FORMAT, type Classification } from './prompt.ts';

export interface LlmClassifierOptions extends ChatClientOptions {
  batchSize: number;
  concurrency: number;
  requestsPerMinute: number;
  maxAttempts: number;
  /** First backoff step; attempt n waits a random time up to base·2^(n-1), capped at maxBackoffMs. */
  backoffBaseMs?: number;
  maxBackoffMs?: number;
  db: Database;
  logger: Logger;
}

/** What the `llm` feature provider gives a post: the LLM's answer, or why there is none after every attempt. */
export type LlmFeature = Classification | { error: string };

/** A post text's LLM classification. */
export const LLM_FEATURE = featureKind<string, LlmFeature>('llm');

interface Pending {
  hash: string;
  text: string;
}

/** What the classifier did, for logs and tests. */
export interface LlmStats {
  requests: number;
  cacheHits: number;
  classified: number;
  failed: number;
}

export const textHash = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Classifies post texts with an OpenAI-compatible chat model as the research pipeline did: several
 * posts per request, a JSON-schema answer naming each post by id, every answer cached per text.
 * Requests run under a concurrency and a per-minute limit; 429, 5xx, timeouts and malformed answers
 * are retried with exponential backoff and full jitter (or the server's `retry-after`), and a partial
 * answer keeps what came back and asks again only for the rest. A post still unanswered after the
 * last attempt gets `{error}`, which the operator turns into an undecided leaf: never a label.
 */
export class LlmClassifier {
  readonly stats: LlmStats = { requests: 0, cacheHits: 0, classified: 0, failed: 0 };
  readonly provider: FeatureProvider<string, LlmFeature> = { kind: LLM_FEATURE, compute: (inputs) => this.classify(inputs), remote: true };
  private readonly client: ChatClient;
  private readonly limiter: RequestLimiter;
  private readonly cache: LlmCache;

  constructor(private readonly options: LlmClassifierOptions) {
    this.client = new ChatClient(options);
    this.limiter = new RequestLimiter(options.concurrency, options.requestsPerMinute);
    this.cache = new LlmCache(options.db, options.model, PROMPT_VERSION);
  }

  async classify(texts: readonly string[]): Promise<LlmFeature[]> {
    const answers = new Map<string, LlmFeature>();
    const missing = new Map<string, Pending>();
    const hashes = texts.map(textHash);
    for (const [i, text] of texts.entries()) {
      const hash = hashes[i]!;
      if (answers.has(hash) || missing.has(hash)) continue;
      const cached = this.cache.get(hash);
      if (cached) {
        answers.set(hash, cached);
        this.stats.cacheHits++;
      } else if (!text.trim()) answers.set(hash, { is_sociopolitical: false, political_ideology: 'unclear' });
      else missing.set(hash, { hash, text });
    }
    const pending = [...missing.values()];
    const { batchSize } = this.options;
    const batches = Array.from({ length: Math.ceil(pending.length / batchSize) }, (_, i) => pending.slice(i * batchSize, (i + 1) * batchSize));
    for (const result of await Promise.all(batches.map((batch) => this.classifyBatch(batch)))) {
      for (const [hash, feature] of result) answers.set(hash, feature);
    }
    return hashes.map((hash) => answers.get(hash)!);
  }

  private async classifyBatch(batch: readonly Pending[]): Promise<Map<string, LlmFeature>> {
    const results = new Map<string, LlmFeature>();
    let remaining = batch;
    let lastError = '';
    let retryAfterMs: number | undefined;
    for (let attempt = 1; attempt <= this.options.maxAttempts && remaining.length; attempt++) {
      if (attempt > 1) await sleep(this.backoffMs(attempt - 1, retryAfterMs));
      retryAfterMs = undefined;
      const asked = remaining;
      try {
        this.stats.requests++;
        const content = await this.limiter.run(() => this.client.complete(buildMessages(asked.map((post, i) => ({ id: String(i), text: post.text }))), RESPONSE_FORMAT));
        const answer = parseAnswer(content);
        const got: [string, Classification][] = [];
        remaining = asked.filter((post, i) => {
          const classification = answer.get(String(i));
          if (classification) got.push([post.hash, classification]);
          return !classification;
        });
        this.cache.put(got);
        for (const [hash, classification] of got) results.set(hash, classification);
        this.stats.classified += got.length;
        if (remaining.length) {
          lastError = `the answer left out ${remaining.length} of ${asked.length} posts`;
          this.options.logger.warn({ model: this.options.model, posts: asked.length, missing: remaining.length, attempt }, 'partial LLM answer: asking again for the rest');
        }
      } catch (error) {
        if (!(error instanceof LlmCallError || error instanceof MalformedAnswerError)) throw error;
        lastError = error.message;
        retryAfterMs = error instanceof LlmCallError ? error.retryAfterMs : undefined;
        const retryable = error instanceof MalformedAnswerError || error.retryable;
        this.options.logger.warn({ model: this.options.model, posts: asked.length, attempt, retryable, error: lastError }, 'LLM request failed');
        if (!retryable) break;
      }
    }
    if (remaining.length) {
      this.stats.failed += remaining.length;
      this.options.logger.error({ model: this.options.model, posts: remaining.length, error: lastError }, 'LLM classification failed: posts left undecided');
      for (const post of remaining) results.set(post.hash, { error: lastError });
    }
    return results;
  }

  private backoffMs(retry: number, retryAfterMs: number | undefined): number {
    const max = this.options.maxBackoffMs ?? 60_000;
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, max);
    return Math.random() * Math.min(max, (this.options.backoffBaseMs ?? 1000) * 2 ** (retry - 1));
  }
}

/** The compile-time service `llm_classification` looks up. */
export const LLM_CLASSIFIER = serviceKey<LlmClassifier>('llm');
