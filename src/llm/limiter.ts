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
      // The slot is claimed when the task really starts, not when it was scheduled: a timer that fires late
      // (a busy event loop) or early (millisecond rounding) must not let the next start come too soon.
      for (let now = Date.now(); now < this.nextStart; now = Date.now()) await sleep(this.nextStart - now);
      this.nextStart = Date.now() + this.intervalMs;
      return task();
    });
  }
}
