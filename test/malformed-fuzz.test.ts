import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { startService } from '../src/service.ts';
import { openDatabase } from '../src/store/database.ts';
import { recordedEvents } from './support/capture.ts';
import { JetstreamReplayServer } from './support/jetstream-server.ts';
import { until } from './support/until.ts';
import { malformedFrames } from './support/malformed.ts';

describe('malformed events', () => {
  it('10,000 bad messages mixed into the recorded stream: each counted by reason, every valid post stored, the service alive', async () => {
    const events = recordedEvents().sort((a, b) => a.time_us - b.time_us);
    const maxBytes = 20_000;
    const { frames, expected } = malformedFrames(events, 10_000, maxBytes);
    // Bad frames interleaved with the real events, in the real events' order.
    const stream: (string | Buffer)[] = [];
    const every = Math.ceil(frames.length / events.length);
    events.forEach((event, i) => stream.push(...frames.slice(i * every, (i + 1) * every), JSON.stringify(event)));
    stream.push(...frames.slice(events.length * every));
    const server = await JetstreamReplayServer.serveEvents([]);
    server.inject.push(...stream);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-fuzz-'));
    const config = loadConfig({ DATA_DIR: dataDir, LABELER_PORT: '0', JETSTREAM_URL: server.url, MANIFESTS_DIR: 'manifests', JETSTREAM_MAX_MESSAGE_BYTES: String(maxBytes) });
    const service = await startService(config, pino({ level: 'silent' }));
    const lastTime = events[events.length - 1]!.time_us;
    try {
      await until(() => service.source.cursor >= lastTime, { ms: 40_000 });
      const counted = Object.fromEntries((await service.metrics.malformed.get()).values.map((v) => [v.labels.reason, v.value]));
      assert.deepEqual(counted, Object.fromEntries(Object.entries(expected).filter(([, n]) => n > 0)));
      assert.equal(
        Object.values(counted).reduce((a, b) => a + b, 0),
        10_000,
      );
      const health = await fetch(`http://127.0.0.1:${new URL(service.address).port}/health`);
      assert.equal(health.status, 200, 'the service still answers');
    } finally {
      await service.stop();
      await server.close();
    }
    const { db } = openDatabase(path.join(dataDir, 'skysift.sqlite'));
    try {
      const stored = new Set(db.prepare('SELECT uri FROM posts').pluck().all() as string[]);
      const creates = events.filter((e) => e.commit?.collection === 'app.bsky.feed.post' && e.commit.operation === 'create');
      const deleted = events.filter((e) => e.commit?.collection === 'app.bsky.feed.post' && e.commit.operation === 'delete').map((e) => `at://${e.did}/app.bsky.feed.post/${e.commit!.rkey}`);
      const wanted = creates.map((e) => `at://${e.did}/app.bsky.feed.post/${e.commit!.rkey}`).filter((uri) => !deleted.includes(uri));
      assert.deepEqual([...stored].sort(), [...new Set(wanted)].sort());
    } finally {
      db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
