import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import type { DecidedVerdict } from '../src/evaluate/index.ts';
import { Labeler } from '../src/label/index.ts';
import { resolveIdentity } from '../src/label/identity.ts';
import type { StoredLabel } from '../src/label/label.ts';
import { SqliteLabelStore } from '../src/label/sqlite-store.ts';
import type { LabelCommit } from '../src/label/store.ts';
import { openDatabase } from '../src/store/database.ts';
import { readFrame } from '../src/ingest/frame.ts';
import { amplifiedCapture } from './support/capture.ts';
import { JetstreamReplayServer } from './support/jetstream-server.ts';
import { sourceOnTempDatabase } from './support/jetstream-source.ts';
import { verifyLabel } from './support/label-verifier.ts';
import { until } from './support/until.ts';

const silent = pino({ level: 'silent' });

interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** The real SQLite label store, whose commits wait until the test lets each one through (or fails it). */
class HeldStore extends SqliteLabelStore {
  readonly waiting: Deferred[] = [];
  holding = true;

  override async commit(batch: LabelCommit): Promise<StoredLabel[]> {
    if (this.holding) {
      const gate = deferred();
      this.waiting.push(gate);
      await gate.promise;
    }
    return super.commit(batch);
  }
}

const verdict = (post: string, label: string, matched: boolean): DecidedVerdict => ({
  uri: `at://did:plc:author/app.bsky.feed.post/${post}`,
  cid: `bafy${post}`,
  label,
  manifestVersion: 'v1',
  matched,
  explanation: [{ path: 'filter', op: 'regex_matches', result: matched }],
});

describe('overlapped commits: the next batch is decided while the previous one is signed and committed', () => {
  let dataDir: string;
  let store: HeldStore;
  let labeler: Labeler;
  let did: string;
  const labels = new Map([
    ['spam', { value: 'spam' }],
    ['art', { value: 'art' }],
  ] as const) as unknown as Parameters<Labeler['apply']>[2];

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-overlap-'));
    const identity = await resolveIdentity(loadConfig({ DATA_DIR: dataDir }), silent);
    did = identity.did;
    const { db } = openDatabase(path.join(dataDir, 'skysift.sqlite'));
    store = new HeldStore(db);
    labeler = new Labeler({ identity, db, store, dataDir, logger: silent, signingThreads: 1 });
  });
  after(async () => {
    store.holding = false;
    for (const gate of store.waiting) gate.resolve();
    await labeler.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('decides against the changes still being committed, and commits after them, in order', async () => {
    const first = await labeler.decide([verdict('a', 'spam', true), verdict('b', 'art', true)], [], labels);
    // Decided while the first batch is held before its commit: it sees a's label and negates it, leaves b's, labels c.
    const second = await labeler.decide([verdict('a', 'spam', false), verdict('b', 'art', true), verdict('c', 'spam', true)], [], labels);
    await until(() => store.waiting.length === 1, { what: 'the first commit to reach the store' });
    assert.equal(await store.head(), 0, 'nothing committed while the first commit is held');
    store.waiting[0]!.resolve();
    const firstSummary = await first.committed;
    await until(() => store.waiting.length === 2, { what: 'the second commit to reach the store' });
    store.waiting[1]!.resolve();
    const secondSummary = await second.committed;
    assert.deepEqual(firstSummary.labelled.map((r) => r.uri.slice(-1) + r.val).sort(), ['aspam', 'bart']);
    assert.deepEqual(secondSummary.labelled.map((r) => r.uri.slice(-1) + r.val), ['cspam']);
    assert.deepEqual(secondSummary.negated.map((r) => r.uri.slice(-1) + r.val), ['aspam']);
    const log = await store.range(0, 100);
    assert.deepEqual(
      log.map((l) => `${l.uri.slice(-1)}${l.val}${l.neg ? '-' : '+'}`),
      ['aspam+', 'bart+', 'aspam-', 'cspam+'],
      'the first batch\'s labels, then the second\'s',
    );
    for (const label of log) assert.ok(await verifyLabel({ src: label.src, uri: label.uri, ...(label.cid ? { cid: label.cid } : {}), val: label.val, ...(label.neg ? { neg: true } : {}), cts: label.cts, sig: label.sig }, did), `${label.uri} ${label.val} ${label.neg ? 'negation' : 'label'} verifies`);
    const active = [...(await store.activeState(['a', 'b', 'c'].map((p) => verdict(p, 'spam', true).uri))).values()].map((r) => r.uri.slice(-1) + r.val).sort();
    assert.deepEqual(active, ['bart', 'cspam']);
  });

  it('fails the batches decided against a commit that fails, commits nothing of them, and decides the next batch afresh', async () => {
    const before = await store.head();
    const first = await labeler.decide([verdict('d', 'spam', true)], [], labels);
    const second = await labeler.decide([verdict('d', 'art', true), verdict('e', 'spam', true)], ['at://did:plc:author/app.bsky.feed.post/b'], labels);
    await until(() => store.waiting.length === 3, { what: 'the first commit to reach the store' });
    store.waiting[2]!.reject(new Error('disk full'));
    await assert.rejects(first.committed, /disk full/);
    await assert.rejects(second.committed, /disk full/);
    assert.equal(await store.head(), before, 'nothing of either batch committed');
    // Both settled: the retried batches decide against the committed state alone, and commit.
    store.holding = false;
    const retried = await labeler.apply([verdict('d', 'spam', true)], [], labels);
    const retriedSecond = await labeler.apply([verdict('d', 'art', true), verdict('e', 'spam', true)], ['at://did:plc:author/app.bsky.feed.post/b'], labels);
    assert.deepEqual(retried.labelled.map((r) => r.uri.slice(-1) + r.val), ['dspam']);
    assert.deepEqual(retriedSecond.labelled.map((r) => r.uri.slice(-1) + r.val).sort(), ['dart', 'espam']);
    assert.deepEqual(retriedSecond.negated.map((r) => r.uri.slice(-1) + r.val), ['bart'], 'the deleted post loses its label');
  });

  it('takes a human decision only once the queued commits are in, against the committed state', async () => {
    store.holding = true;
    const queued = await labeler.decide([verdict('f', 'spam', true)], [], labels);
    const decision = labeler.override({ uri: verdict('f', 'spam', true).uri, val: 'spam', active: false, by: 'did:plc:moderator', reason: 'not spam' });
    await until(() => store.waiting.length === 4, { what: 'the queued commit to reach the store' });
    store.holding = false;
    store.waiting[3]!.resolve();
    assert.deepEqual((await queued.committed).labelled.map((r) => r.val), ['spam']);
    const changed = await decision;
    assert.equal(changed?.active, false, 'the override negates the label the queued batch committed');
  });
});

describe('the stream source with overlapped commits', () => {
  it('handles the next batch while the previous one commits, passes the cursor only over committed batches, and sends both back when a commit fails', async () => {
    const events = amplifiedCapture(2).filter((e) => 'event' in readFrame(JSON.stringify(e), 1_000_000));
    const server = await JetstreamReplayServer.serveEvents(events);
    const handled: number[][] = [];
    const commits: Deferred[] = [];
    let failing = true;
    const harness = sourceOnTempDatabase({
      endpoint: server.url,
      batchSize: 16,
      handle: async (batch) => {
        handled.push(batch.map((e) => e.time_us));
        const commit = deferred();
        commits.push(commit);
        if (!failing) commit.resolve();
        return { committed: commit.promise };
      },
    });
    const source = harness.open();
    try {
      source.start();
      await until(() => handled.length === 2, { what: 'a second batch handled while the first commits' });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(handled.length, 2, 'no third batch while the first is still committing');
      assert.equal(source.cursor, 0, 'the cursor stays before an uncommitted batch');
      commits[0]!.resolve();
      await until(() => source.cursor === handled[0]!.at(-1), { what: 'the cursor to pass the first batch' });
      await until(() => handled.length === 3, { what: 'a third batch' });
      const [, second, third] = handled;
      // The second batch's commit fails; the third was decided against it and fails with it.
      commits[1]!.reject(new Error('signing thread died'));
      commits[2]!.reject(new Error('signing thread died'));
      failing = false;
      await until(() => handled.flat().length >= events.length + second!.length + third!.length, { ms: 20_000, what: 'every event handled' });
      assert.deepEqual(handled.slice(3).flat().slice(0, second!.length + third!.length), [...second!, ...third!], 'both failed batches again, in order, first');
      assert.deepEqual(
        [...new Set(handled.flat())],
        events.map((e) => e.time_us),
        'every event handled, in order',
      );
      await until(() => source.cursor === events.at(-1)!.time_us, { what: 'the cursor to reach the last event' });
      assert.equal((await harness.metrics.batchFailures.get()).values[0]!.value, 1);
    } finally {
      for (const commit of commits) commit.resolve();
      await source.stop();
      await server.close();
      harness.cleanup();
    }
  });
});
