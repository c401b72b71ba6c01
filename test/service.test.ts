import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { consolidateJetstreamEvent } from '../src/consolidate/jetstream.ts';
import { startService } from '../src/service.ts';
import { openDatabase } from '../src/store/database.ts';
import { KeyValueStore } from '../src/store/kv.ts';
import { lastPostTime } from './support/capture.ts';
import { JetstreamReplayServer } from './support/jetstream-server.ts';
import { LabelSubscriber, queryAllLabels, verifyLabel } from './support/label-verifier.ts';
import { fixture } from './support/fixtures.ts';
import { shippedVerdicts } from './support/shipped-manifests.ts';
import { until } from './support/until.ts';

const capture = fixture('jetstream/expected_v1.jsonl');
const events = fs.readFileSync(capture, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const lastPost = lastPostTime(events);

describe('service end to end: loopback Jetstream → consolidate → evaluate → signed labels', () => {
  let server: JetstreamReplayServer;
  let dataDir: string;
  let expected: string[];
  let storedCursor = 0;

  before(async () => {
    server = await JetstreamReplayServer.start([capture]);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-e2e-'));
    const posts = events.map(consolidateJetstreamEvent).flatMap((r) => (r.kind === 'post' ? [r.post] : []));
    const { verdicts } = await shippedVerdicts(posts);
    expected = verdicts.filter((v) => v.matched).map((v) => `${v.uri} ${v.label}`).sort();
  });
  after(async () => {
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const config = () => loadConfig({ DATA_DIR: dataDir, LABELER_PORT: '0', JETSTREAM_URL: server.url, MANIFESTS_DIR: 'manifests' });

  it('labels the recorded posts exactly as the dry run says, each label verified, counting and skipping malformed events', async () => {
    assert.ok(expected.length > 0);
    const post = events.find((e) => e.kind === 'commit' && e.commit.collection === 'app.bsky.feed.post' && e.commit.operation === 'create');
    const badJson = Array.from({ length: 300 }, (_, i) => JSON.stringify(post).slice(0, 10 + i));
    const badRecords = Array.from({ length: 200 }, (_, i) => JSON.stringify({ ...post, time_us: 1, commit: { ...post.commit, rkey: `bad${i}`, record: { text: i } } }));
    server.inject.push(...badJson, ...badRecords);
    const service = await startService(config(), pino({ level: 'silent' }));
    const url = `http://127.0.0.1:${new URL(service.address).port}`;
    const subscriber = new LabelSubscriber(url, 0);
    try {
      await subscriber.waitFor(expected.length);
      await until(() => service.source.cursor >= lastPost);
      assert.deepEqual(subscriber.labels.map((l) => `${l.uri} ${l.val}`).sort(), expected);
      for (const label of subscriber.labels) assert.ok(await verifyLabel(label));
      assert.deepEqual(server.connections[0]!.wantedCollections, ['app.bsky.feed.post']);
      assert.equal(service.console, undefined, 'no console without CONSOLE_TOKEN');
      const metrics = await (await fetch(`${url}/metrics`)).text();
      assert.match(metrics, /skysift_malformed_events_total\{reason="invalid-json"\} 300\n/);
      assert.match(metrics, /skysift_malformed_events_total\{reason="invalid-post"\} 200\n/);
      assert.match(metrics, new RegExp(`skysift_labels_emitted_total\\{label="non-english"\\} ${expected.filter((e) => e.endsWith(' non-english')).length}\\n`));
      const health = await (await fetch(`${url}/health`)).json();
      assert.equal(health.status, 'ok');
      assert.equal(health.database, 'ok');
      assert.equal(health.jetstream.connected, true);
      server.inject.length = 0;
    } finally {
      subscriber.close();
      await service.stop();
    }
    const { db } = openDatabase(path.join(dataDir, 'skysift.sqlite'));
    storedCursor = Number(new KeyValueStore(db).get('jetstream.cursor'));
    assert.ok(storedCursor >= lastPost, 'the cursor was persisted on stop');
    db.close();
  });

  it('resumes from the stored cursor after a restart and emits nothing new for replayed events', async () => {
    const service = await startService(config(), pino({ level: 'silent' }));
    const url = `http://127.0.0.1:${new URL(service.address).port}`;
    try {
      await until(() => server.connections.length === 2);
      const resumed = server.connections[1]!;
      assert.equal(resumed.cursor, storedCursor - 5_000_000, 'resumed JETSTREAM_REWIND_SECONDS before the stored cursor');
      await until(() => service.source.cursor >= lastPost);
      const labels = await queryAllLabels(url);
      assert.deepEqual(labels.map((l) => `${l.uri} ${l.val}`).sort(), expected, 'no label emitted twice');
    } finally {
      await service.stop();
    }
  });
});
