import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JetstreamSource } from '../src/ingest/jetstream.ts';
import { amplifiedCapture } from './support/capture.ts';
import { JetstreamReplayServer } from './support/jetstream-server.ts';
import { sourceOnTempDatabase } from './support/jetstream-source.ts';
import { until } from './support/until.ts';

describe('restart', () => {
  it('a dropped socket reconnects after a backoff; a fresh consumer on the same database processes every event at least once; the stored cursor never passes an unprocessed event', async () => {
    const events = amplifiedCapture(15);
    const times = events.map((e) => e.time_us);
    const server = await JetstreamReplayServer.serveEvents(events);
    server.pace = { every: 25, ms: 5 };
    const processed = new Set<number>();
    const harness = sourceOnTempDatabase({
      endpoint: server.url,
      batchSize: 32,
      cursorWriteMs: 5,
      handle: async (batch) => {
        await new Promise((r) => setTimeout(r, 3));
        for (const e of batch) processed.add((e as { time_us: number }).time_us);
      },
    });
    const violations: string[] = [];
    const checker = setInterval(() => {
      const stored = Number(harness.kv.get('jetstream.cursor') ?? 0);
      const missing = times.find((t) => t <= stored && !processed.has(t));
      if (missing !== undefined) violations.push(`cursor ${stored} past unprocessed ${missing}`);
    }, 2);
    const first = harness.open();
    // Opened once the first has stopped: a consumer reads the stored cursor when it is made.
    let second: JetstreamSource | undefined;
    try {
      first.start();
      await until(() => processed.size > events.length / 4);
      // Read before the drop: once reconnected, events of the new connection move the stored cursor on.
      const storedAtDrop = Number(harness.kv.get('jetstream.cursor'));
      const dropped = Date.now();
      server.dropAll();
      await until(() => server.connections.length === 2);
      const gap = Date.now() - dropped;
      assert.ok(gap >= 2000, `reconnected after ${gap} ms: a backoff, not a busy loop`);
      const resumedAt = server.connections[1]!.cursor!;
      assert.ok(times.includes(resumedAt), 'resumes from an event received');
      assert.ok(
        resumedAt >= storedAtDrop && resumedAt <= server.connections[0]!.lastSent!,
        `resumes from the last event received (${resumedAt}; processed ${storedAtDrop}, sent ${server.connections[0]!.lastSent})`,
      );
      await until(() => processed.size > events.length / 2);
      await first.stop();
      const stored = Number(harness.kv.get('jetstream.cursor'));
      assert.ok(stored < times[times.length - 1]!, 'stopped mid-stream');

      second = harness.open();
      second.start();
      await until(() => processed.size === events.length);
      await second.stop();
      assert.equal(server.connections[2]!.cursor, stored, 'the fresh consumer resumes from the stored cursor');
      assert.deepEqual(
        [...processed].sort((a, b) => a - b),
        times,
        'every event processed at least once',
      );
      assert.equal(Number(harness.kv.get('jetstream.cursor')), times[times.length - 1]);
      assert.deepEqual(violations, []);
    } finally {
      clearInterval(checker);
      // Both may still run after a failed assertion; stopping a stopped or never started source is harmless.
      await Promise.all([first.stop(), second?.stop()]);
      await server.close();
      harness.cleanup();
    }
  });
});
