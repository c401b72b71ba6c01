import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** What the fake does with one request instead of answering normally. */
export type Fault =
  | { status: number; retryAfter?: string; body?: string }
  | { content: string }
  /** Answers normally but leaves out the posts whose text contains this. */
  | { omit: string }
  /** Answers normally, this much later (past the client's timeout). */
  | { delayMs: number };

export interface ReceivedRequest {
  authorization: string | undefined;
  model: string;
  posts: { id: string; text: string }[];
  at: number;
}

/** The deterministic "model": political keywords make a post sociopolitical, lean words pick the ideology. */
export function ruleAnswer(text: string) {
  const sociopolitical = /\b(election|vote|senate|congress|president|government|immigration|tax|climate|policy)\b/i.test(text);
  const political_ideology = !sociopolitical ? 'unclear' : /\b(progressive|union|climate)\b/i.test(text) ? 'left' : /\b(border|tax cuts|freedom)\b/i.test(text) ? 'right' : 'moderate';
  return { is_sociopolitical: sociopolitical, political_ideology };
}

/**
 * An OpenAI-compatible chat-completions server on 127.0.0.1 for tests: it checks each request as the
 * real API would (model, messages, a json_schema response_format) and answers
 * `{id, object: "chat.completion", choices: [{index, message: {role, content}, finish_reason}], usage}`
 * from `ruleAnswer`, unless a queued fault says otherwise. It records what it received and the
 * most requests it had in flight at once.
 */
export class ChatCompletionsServer {
  readonly requests: ReceivedRequest[] = [];
  readonly rejected: string[] = [];
  /** Faults for the next requests, in order; `faultFor` picks one per request when set. */
  readonly faults: Fault[] = [];
  faultFor?: (request: ReceivedRequest) => Fault | undefined;
  holdMs = 0;
  maxInFlight = 0;
  private inFlight = 0;
  private readonly server = http.createServer((req, res) => void this.handle(req, res));

  constructor(readonly model = 'test-model') {}

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      const problem = this.check(req, raw);
      if (problem) {
        this.rejected.push(problem);
        return this.send(res, 400, JSON.stringify({ error: { message: problem, type: 'invalid_request_error' } }));
      }
      const body = JSON.parse(raw);
      const request: ReceivedRequest = { authorization: req.headers.authorization, model: body.model, posts: JSON.parse(body.messages.at(-1).content), at: Date.now() };
      this.requests.push(request);
      if (this.holdMs) await sleep(this.holdMs);
      const fault = this.faultFor ? this.faultFor(request) : this.faults.shift();
      if (fault && 'delayMs' in fault) await sleep(fault.delayMs);
      if (res.destroyed) return;
      if (fault && 'status' in fault) return this.send(res, fault.status, fault.body ?? JSON.stringify({ error: { message: 'fault' } }), fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
      const content =
        fault && 'content' in fault
          ? fault.content
          : JSON.stringify({ results: request.posts.filter((p) => !(fault && 'omit' in fault && p.text.includes(fault.omit))).map((p) => ({ id: p.id, ...ruleAnswer(p.text) })) });
      this.send(
        res,
        200,
        JSON.stringify({
          id: `chatcmpl-${this.requests.length}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: this.model,
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage: { prompt_tokens: raw.length, completion_tokens: content.length, total_tokens: raw.length + content.length },
        }),
      );
    } finally {
      this.inFlight--;
    }
  }

  private check(req: http.IncomingMessage, raw: string): string | undefined {
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return `no route ${req.method} ${req.url}`;
    if (req.headers['content-type'] !== 'application/json') return 'content-type must be application/json';
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      return 'body is not JSON';
    }
    if (body.model !== this.model) return `unknown model ${body.model}`;
    if (!Array.isArray(body.messages) || !body.messages.every((m: { role?: unknown; content?: unknown }) => ['system', 'user'].includes(String(m.role)) && typeof m.content === 'string')) {
      return 'messages must be [{role, content}]';
    }
    const format = body.response_format;
    if (format?.type !== 'json_schema' || typeof format.json_schema?.name !== 'string' || format.json_schema?.schema?.type !== 'object') return 'response_format must be a json_schema';
    try {
      const posts = JSON.parse(body.messages.at(-1).content);
      if (!Array.isArray(posts) || !posts.every((p) => typeof p.id === 'string' && typeof p.text === 'string')) return 'the last message must list posts';
    } catch {
      return 'the last message must be JSON';
    }
    return undefined;
  }

  private send(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  }
}
