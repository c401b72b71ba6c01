import type { Metrics } from '../metrics.ts';

/** The service's metrics at one moment: running totals and the gauges. */
export interface Sample {
  t: number;
  events: number;
  posts: number;
  /** Labels emitted and negated so far, by label value. */
  labels: Record<string, number>;
  cursorLagSeconds: number | null;
  queueDepth: number;
}

/** What the health page plots: one point per interval between two samples. */
export interface HealthPoint {
  t: number;
  eventsPerSecond: number;
  postsPerSecond: number;
  labelsPerMinute: Record<string, number>;
  cursorLagSeconds: number | null;
  queueDepth: number;
}

const total = async (metric: { get(): Promise<{ values: { value: number }[] }> }) => (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);

/**
 * Samples the service's Prometheus metrics in-process every `intervalMs` into a ring of `size` samples
 * (30 minutes at 5 s), so the console charts rates without a Prometheus server.
 */
export class HealthSampler {
  private readonly samples: Sample[] = [];
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly metrics: Metrics,
    /** Brings the gauges up to date (queue depth, cursor lag) before a sample. */
    private readonly refresh: () => void,
    private readonly intervalMs = 5000,
    private readonly size = 360,
  ) {}

  async start(): Promise<void> {
    await this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async sample(): Promise<void> {
    this.refresh();
    const labels: Record<string, number> = {};
    for (const counter of [this.metrics.labelsEmitted, this.metrics.labelsNegated])
      for (const { value, labels: l } of (await counter.get()).values) labels[String(l.label)] = (labels[String(l.label)] ?? 0) + value;
    const lag = (await this.metrics.cursorLagSeconds.get()).values[0]?.value;
    this.samples.push({
      t: Date.now(),
      events: await total(this.metrics.eventsIn),
      posts: await total(this.metrics.postsEvaluated),
      labels,
      cursorLagSeconds: lag === undefined || Number.isNaN(lag) ? null : lag,
      queueDepth: (await this.metrics.queueDepth.get()).values[0]?.value ?? 0,
    });
    if (this.samples.length > this.size) this.samples.shift();
  }

  /** Rates between consecutive samples, oldest first. */
  points(): HealthPoint[] {
    return this.samples.slice(1).map((s, i) => {
      const prev = this.samples[i]!;
      const seconds = Math.max(0.001, (s.t - prev.t) / 1000);
      const labelsPerMinute = Object.fromEntries(Object.entries(s.labels).map(([val, n]) => [val, ((n - (prev.labels[val] ?? 0)) * 60) / seconds]));
      return {
        t: s.t,
        eventsPerSecond: (s.events - prev.events) / seconds,
        postsPerSecond: (s.posts - prev.posts) / seconds,
        labelsPerMinute,
        cursorLagSeconds: s.cursorLagSeconds,
        queueDepth: s.queueDepth,
      };
    });
  }
}
