import { setTimeout as sleep } from 'node:timers/promises';

/**
 * At most `concurrency` tasks at once, and task starts spaced evenly to stay under `requestsPerMinute`
 * (a provider's limit is usually per minute; even spacing never bursts past it).
 */
export class RequestLimiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private nextStart = 0;
  private readonly intervalMs: number;

  constructor(
    private readonly concurrency: number,
    requestsPerMinute: number,
  ) {
    this.intervalMs = 60_000 / requestsPerMinute;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      const now = Date.now();
      const start = Math.max(now, this.nextStart);
      this.nextStart = start + this.intervalMs;
      if (start > now) await sleep(start - now);
      return await task();
    } finally {
      this.release();
    }
  }

  private async acquire(): Promise<void> {
    if (this.active < this.concurrency) {
      this.active++;
      return;
    }
    // The releasing task hands its slot over directly, so `active` stays counted.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
