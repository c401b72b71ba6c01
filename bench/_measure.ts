/** Wall-clock and CPU time of a piece of work, and the time spent in garbage collection during it. */
import os from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';

export interface Measured {
  seconds: number;
  /** CPU time of the whole process (every thread), steadier than wall-clock time on a shared machine. */
  cpuSeconds: number;
  /** Garbage-collection pauses of the main thread. */
  gcSeconds: number;
}

export async function measure(work: () => Promise<void>): Promise<Measured> {
  let gc = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gc += entry.duration;
  });
  observer.observe({ entryTypes: ['gc'] });
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  // Node reports a collection on the next turn of the event loop: work that never yields to it (only
  // awaits resolved promises) has its pauses reported here.
  await new Promise(setImmediate);
  for (const entry of observer.takeRecords()) gc += entry.duration;
  observer.disconnect();
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6, gcSeconds: gc / 1000 };
}

/** The usual measurements of `items` processed (posts): rate, CPU per item, GC share of the wall-clock time. */
export function rates({ seconds, cpuSeconds, gcSeconds }: Measured, items: number, name: string, unit = 'post'): Record<string, number> {
  return {
    [`${name} ${unit}s/s`]: Math.round(items / seconds),
    [`${name} CPU µs/${unit}`]: Math.round((cpuSeconds / items) * 1e7) / 10,
    [`${name} GC share`]: Math.round((gcSeconds / seconds) * 1000) / 1000,
  };
}

/** The machine's 1-minute load average: other work competing for the cores while a bench ran. */
export const loadAverage = () => Math.round(os.loadavg()[0]! * 10) / 10;
