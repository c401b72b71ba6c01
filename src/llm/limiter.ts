import { setTimeout as sleep } from 'node:timers/promises';
import { createLimit } from '../concurrency.ts';

/**
 * At most `concurrency` tasks at once, and task starts spaced evenly to stay under `requestsPerMinute`
 * (a provider's limit is usually per minute; even spacing never bursts past it).
 */
export class RequestLimiter {
  private readonly limit: ReturnType<typeof createLimit>;
  private nextStart = 0;
  private readonly intervalMs: number;

  constructor(concurrency: number, requestsPerMinute: number) {
    this.limit = createLimit(concurrency);
    this.intervalMs = 60_000 / requestsPerMinute;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    return this.limit(async () => {
      const now = Date.now();
      const start = Math.max(now, this.nextStart);
      this.nextStart = start + this.intervalMs;
      if (start > now) await sleep(start - now);
      return task();
    });
  }
}
