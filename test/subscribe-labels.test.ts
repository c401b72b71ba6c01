import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import type { SignedLabel } from '../src/label/label.ts';
import type { OutboxOptions } from '../src/label/outbox.ts';
import { Sequencer } from '../src/label/sequencer.ts';
import { createLabelServer } from '../src/label/server.ts';
import { SqliteLabelStore } from '../src/label/sqlite-store.ts';
import { Metrics } from '../src/metrics.ts';
import { openDatabase } from '../src/store/database.ts';
import { LabelSubscriber } from './support/label-verifier.ts';
import { until } from './support/until.ts';

const silent = pino({ level: 'silent' });
const SIG = new Uint8Array(64).fill(7);

/** A label for stream tests (its signature is not checked here; test/labeler.test.ts verifies real ones). */
const label = (n: number, padding = 0): SignedLabel => ({
  src: 'did:plc:streamtest',
  uri: `at://did:plc:author/app.bsky.feed.post/${n}${'x'.repeat(padding)}`,
  cid: null,
  val: 'test',
  neg: false,
  cts: '2026-01-01T00:00:00.000Z',
  exp: null,
  sig: SIG,
  signedNegFalse: false,
});

/** A label store on a temp file, served by its own sequencer and server, with the outbox options a test wants. */
async function streamServer(outbox: OutboxOptions = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-stream-'));
  const { db } = openDatabase(path.join(dir, 'skysift.sqlite'));
  const store = new SqliteLabelStore(db);
  const metrics = new Metrics();
  const sequencer = new Sequencer(store, silent);
  await sequencer.start();
  const app = await createLabelServer({ store, sequencer, logger: silent, metrics, outbox });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  /** Commits `count` labels in commits of `perCommit`, numbered on from what is there. */
  const commit = async (count: number, perCommit = 100, padding = 0) => {
    const first = (await store.head()) + 1;
    for (let i = 0; i < count; i += perCommit) {
      await store.commit({ state: [], labels: Array.from({ length: Math.min(perCommit, count - i) }, (_, j) => label(first + i + j, padding)) });
    }
  };
  return {
    db,
    store,
    metrics,
    url,
    commit,
    async close() {
      await sequencer.stop();
      await app.close();
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const numbers = (subscriber: LabelSubscriber) => subscriber.labels.map((l) => Number(/post\/(\d+)/.exec(l.uri)![1]));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('subscribeLabels', () => {
  let server: Awaited<ReturnType<typeof streamServer>>;
  before(async () => {
    server = await streamServer();
    await server.commit(250, 250);
  });
  after(() => server.close());

  it('groups a commit into events of at most 100 labels, each seq the id of its last label', async () => {
    const subscriber = new LabelSubscriber(server.url, 0);
    await subscriber.waitFor(250);
    subscriber.close();
    assert.deepEqual(subscriber.events, [100, 200, 250]);
    assert.deepEqual(numbers(subscriber), range(1, 250));
  });

  it('resumes after the cursor it was given, also one inside an event', async () => {
    const subscriber = new LabelSubscriber(server.url, 150);
    await subscriber.waitFor(100);
    subscriber.close();
    assert.deepEqual(subscriber.events, [200, 250]);
    assert.deepEqual(numbers(subscriber), range(151, 250));
  });

  it('without a cursor sends only what is committed after it connected', async () => {
    const subscriber = new LabelSubscriber(server.url);
    await subscriber.opened();
    await until(async () => Number((await server.metrics.labelSubscribers.get()).values[0]?.value) > 0, { what: 'the subscription to be served' });
    await server.commit(3, 3);
    await subscriber.waitFor(3);
    subscriber.close();
    assert.deepEqual(numbers(subscriber), [251, 252, 253]);
  });

  it('refuses a cursor in the future with FutureCursor and closes the stream', async () => {
    const subscriber = new LabelSubscriber(server.url, (await server.store.head()) + 1);
    assert.equal(await subscriber.closed(), 1008);
    assert.deepEqual(
      subscriber.errors.map((e) => e.error),
      ['FutureCursor'],
    );
    assert.equal(subscriber.labels.length, 0);
  });

  it('refuses a cursor that is not an integer with InvalidRequest', async () => {
    const subscriber = new LabelSubscriber(server.url, '1e2');
    assert.equal(await subscriber.closed(), 1008);
    assert.equal(subscriber.errors[0]?.error, 'InvalidRequest');
    assert.match(subscriber.errors[0]?.message ?? '', /cursor must be an integer/);
  });
});

describe('subscribeLabels backfill', () => {
  it('reads a long log a page at a time: a subscriber that stops reading holds one page, not the log (defect 5)', async () => {
    // 20,000 labels of ~3 KB: 60 MB of frames, far beyond what the kernel's socket buffers absorb.
    const server = await streamServer({ pageSize: 200 });
    try {
      await server.commit(20_000, 100, 3000);
      let read = 0;
      const range = server.store.range.bind(server.store);
      server.store.range = async (after, limit) => {
        const labels = await range(after, limit);
        read += labels.length;
        return labels;
      };
      const before = process.memoryUsage().arrayBuffers;
      const stalls = monitorEventLoopDelay({ resolution: 10 });
      stalls.enable();
      const subscriber = new LabelSubscriber(server.url, 0);
      await subscriber.opened();
      subscriber.socket.pause();
      // Let the server send until the socket is full, then see that it waits.
      let last = -1;
      await until(
        async () => {
          await new Promise((r) => setTimeout(r, 300));
          const settled = read === last && read > 0;
          last = read;
          return settled;
        },
        { what: 'the backfill to wait for the paused subscriber' },
      );
      const grown = (process.memoryUsage().arrayBuffers - before) / 2 ** 20;
      stalls.disable();
      console.log(`# backfill: read ${read} of 20,000 labels, buffers grew ${grown.toFixed(1)} MiB for a paused subscriber; longest event-loop stall ${(stalls.max / 1e6).toFixed(0)} ms`);
      assert.ok(read < 10_000, `read ${read} of 20,000 labels for a subscriber that reads nothing`);
      assert.ok(grown < 24, `buffers grew by ${grown.toFixed(1)} MiB`);

      // Meanwhile the server serves others: a live subscriber gets a new label.
      const live = new LabelSubscriber(server.url);
      await live.opened();
      await until(async () => Number((await server.metrics.labelSubscribers.get()).values[0]?.value) === 2, { what: 'the live subscription' });
      await server.commit(1, 1);
      await live.waitFor(1);
      live.close();

      subscriber.socket.resume();
      await subscriber.waitFor(20_001, 60_000);
      subscriber.close();
      const got = numbers(subscriber);
      assert.equal(got.length, 20_001);
      assert.equal(got.findIndex((n, i) => n !== i + 1), -1, 'every label once, in order');
    } finally {
      await server.close();
    }
  });

  it('hands over from backfill to live without losing or repeating a label while commits go on', async () => {
    const server = await streamServer({ pageSize: 50 });
    try {
      await server.commit(3000, 7);
      const subscriber = new LabelSubscriber(server.url, 0);
      const writing = (async () => {
        for (let i = 0; i < 60; i++) {
          await server.commit(5, 5);
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      await writing;
      await subscriber.waitFor(3300, 30_000);
      subscriber.close();
      assert.deepEqual(numbers(subscriber), range(1, 3300));
      assert.ok(subscriber.events.every((seq, i) => i === 0 || seq > subscriber.events[i - 1]!), 'seqs increase');
    } finally {
      await server.close();
    }
  });

  it('ends a subscriber that falls too far behind the live stream with ConsumerTooSlow', async () => {
    const server = await streamServer({ maxBuffered: 4 });
    try {
      const subscriber = new LabelSubscriber(server.url);
      await subscriber.opened();
      await until(async () => Number((await server.metrics.labelSubscribers.get()).values[0]?.value) === 1, { what: 'the subscription' });
      subscriber.socket.pause();
      const tooSlow = async () => (await server.metrics.labelStreamErrors.get()).values.some((v) => v.labels.error === 'ConsumerTooSlow');
      for (let i = 0; i < 200 && !(await tooSlow()); i++) await server.commit(100, 100, 3000);
      assert.ok(await tooSlow(), 'the server gave up on the subscriber');
      subscriber.socket.resume();
      assert.equal(await subscriber.closed(10_000), 1008);
      assert.equal(subscriber.errors[0]?.error, 'ConsumerTooSlow');
      const got = numbers(subscriber);
      assert.deepEqual(got, range(1, got.length), 'what it got, it got without a gap');
    } finally {
      await server.close();
    }
  });
});
