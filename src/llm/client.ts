import { z } from 'zod';
import { networkCause } from '../network.ts';
import type { ChatMessage } from './prompt.ts';

export interface ChatClientOptions {
  baseUrl: string;
  model: string;
  apiKey?: string;
  timeoutMs: number;
}

/** A failed chat-completions call; `retryable` for 408/429/5xx, timeouts, network errors and unreadable bodies. */
export class LlmCallError extends Error {
  override name = 'LlmCallError';
  constructor(
    message: string,
    readonly retryable: boolean,
    /** From a `retry-after` header, when the server sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

const CompletionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string() }), finish_reason: z.string().nullish() })).min(1),
});

const RETRYABLE_STATUS = new Set([408, 409, 429]);

/** `retry-after` is either seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** One OpenAI-compatible `POST <base>/chat/completions` with a JSON-schema response format; returns the assistant's content. */
export class ChatClient {
  private readonly url: string;

  constructor(private readonly options: ChatClientOptions) {
    this.url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  }

  async complete(messages: readonly ChatMessage[], responseFormat: unknown): Promise<string> {
    let response: Response;
    let body: string;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.options.apiKey && { authorization: `Bearer ${this.options.apiKey}` }) },
        body: JSON.stringify({ model: this.options.model, messages, response_format: responseFormat, temperature: 0 }),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      body = await response.text();
    } catch (error) {
      const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
      throw new LlmCallError(timedOut ? `no answer within ${this.options.timeoutMs} ms` : `POST ${this.url}: ${this.redact(networkCause(error))}`, true);
    }
    if (!response.ok) {
      const retryable = RETRYABLE_STATUS.has(response.status) || response.status >= 500;
      throw new LlmCallError(`HTTP ${response.status}: ${this.redact(body.slice(0, 200))}`, retryable, parseRetryAfter(response.headers.get('retry-after')));
    }
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new LlmCallError(`the response is not JSON: ${this.redact(body.slice(0, 120))}`, true);
    }
    const parsed = CompletionSchema.safeParse(json);
    if (!parsed.success) throw new LlmCallError(`the response is not a chat completion: ${this.redact(body.slice(0, 120))}`, true);
    return parsed.data.choices[0]!.message.content;
  }

  /** Servers sometimes echo what they got; the key must not reach a log through an error message. */
  private redact(text: string): string {
    return this.options.apiKey ? text.replaceAll(this.options.apiKey, '[redacted]') : text;
  }
}
