import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { amplifiedCapture } from './support/capture.ts';
import { JetstreamReplayServer } from './support/jetstream-server.ts';
import { sourceOnTempDatabase } from './support/jetstream-source.ts';
import { until } from './support/until.ts';

describe('backpressure', () => {
  it('a slow handler pauses reading: the queue stays bounded and every event is processed once, in order', async () => {
    const events = amplifiedCapture(40);
    const server = await JetstreamReplayServer.serveEvents(events);
    const queueMax = 256;
    const seen: number[] = [];
    let maxQueued = 0;
    const harness = sourceOnTempDatabase({
      endpoint: server.url,
      queueMax,
      batchSize: 64,
      handle: async (batch) => {
        await new Promise((r) => setTimeout(r, 5));
        for (const e of batch) seen.push((e as { time_us: number }).time_us);
      },
    });
    const source = harness.open();
    const sampler = setInterval(() => (maxQueued = Math.max(maxQueued, source.queued)), 1);
    try {
      source.start();
      await until(() => seen.length >= events.length, { ms: 50_000 });
      // A paused socket still delivers the frames of the chunk already read (one 64 KiB read at most).
      const smallest = Math.min(...events.map((e) => Buffer.byteLength(JSON.stringify(e))));
      const bound = queueMax + Math.ceil(65_536 / smallest);
      console.log(`queue peaked at ${maxQueued} (watermark ${queueMax}, bound ${bound}) over ${events.length} events`);
      assert.ok(maxQueued <= bound, `queue peaked at ${maxQueued}, bound ${bound}`);
      assert.ok(maxQueued >= queueMax, `the queue reached the watermark (${maxQueued})`);
      assert.ok((await harness.metrics.backpressurePauses.get()).values[0]!.value > 0, 'reading was paused');
      assert.deepEqual(
        seen,
        events.map((e) => e.time_us),
        'every event exactly once, in order',
      );
    } finally {
      clearInterval(sampler);
      await source.stop();
      await server.close();
      harness.cleanup();
    }
  });
});
