/** How long to wait before reconnecting: exponential, capped, with jitter so that many clients do not retry in step. */
export interface BackoffOptions {
  /** The wait before the first retry. */
  initialMs: number;
  /** The longest wait. */
  maxMs: number;
  /** Each retry waits `factor` times longer than the one before, up to `maxMs`. */
  factor: number;
  /** Each wait is spread uniformly over ±`jitter` of its value (0.25: 75%–125%). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 3000, maxMs: 60_000, factor: 2, jitter: 0.25 };

/** The wait before retry number `retry` (1 for the first); `random` in [0, 1). Pure. */
export function backoffDelay(retry: number, { initialMs, maxMs, factor, jitter }: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(maxMs, initialMs * factor ** Math.max(0, retry - 1));
  return Math.round(base * (1 - jitter + 2 * jitter * random()));
}
