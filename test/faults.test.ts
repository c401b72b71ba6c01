import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { consolidateJetstreamEvent } from '../src/consolidate/index.ts';
import { resolveIdentity } from '../src/label/identity.ts';
import { Labeler } from '../src/label/index.ts';
import { openDatabase } from '../src/store/database.ts';
import { activeKeys, amplifiedCapture, expectedActiveLabels, freePort } from './support/capture.ts';
import { spawnCli, stopCli } from './support/cli.ts';
import { JetstreamReplayServer } from './support/jetstream-server.ts';
import { LabelSubscriber, queryAllLabels } from './support/label-verifier.ts';
import { shippedVerdicts } from './support/shipped-manifests.ts';
import { metric } from './support/metrics.ts';
import { until } from './support/until.ts';

/**
 * A full disk, without root: the soft RLIMIT_FSIZE of the running service, so that no file can grow past
 * `bytes` (Node ignores SIGXFSZ, so writes fail with EFBIG as they would with ENOSPC). The hard limit is
 * left alone so the soft one can be raised again.
 */
function limitFileSize(pid: number, bytes: number | 'unlimited'): void {
  execFileSync('prlimit', ['--pid', String(pid), `--fsize=${bytes}:unlimited`]);
}

describe('faults while labelling a live stream', () => {
  it('survives a full disk, a broken manifest edit, a locked database and a dropped Jetstream, then finishes with every label once', async () => {
    const events = amplifiedCapture(60);
    const expected = await expectedActiveLabels(events);
    const server = await JetstreamReplayServer.serveEvents(events);
    // About 50 posts/s (likes, reposts and the like are not subscribed to): the stream outlasts the faults.
    server.pace = { every: 1, ms: 20 };
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-faults-'));
    const manifestsDir = path.join(dataDir, 'manifests');
    fs.cpSync('manifests', manifestsDir, { recursive: true, filter: (src) => !src.includes('examples') });
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const child = spawnCli(['start'], { DATA_DIR: dataDir, MANIFESTS_DIR: manifestsDir, LABELER_PORT: String(port), JETSTREAM_URL: server.url, LOG_LEVEL: 'warn', JETSTREAM_REWIND_SECONDS: '0' });
    let logs = '';
    child.stdout!.on('data', (d) => (logs += d));
    child.stderr!.on('data', (d) => (logs += d));
    const labelCount = async () => (await queryAllLabels(base).catch(() => [])).length;
    try {
      await until(async () => (await labelCount()) >= 10, { what: 'the first labels' });

      // The disk fills up: writes fail, the service stays up and says so, and catches up once space is back.
      const failuresBefore = await metric(base, 'skysift_batch_failures_total');
      limitFileSize(child.pid!, 0);
      await until(async () => (await metric(base, 'skysift_batch_failures_total')) > failuresBefore, { what: 'a failed batch while the disk is full' });
      const health = await fetch(`${base}/health`).then((r) => r.json());
      assert.equal(health.database, 'ok', 'reads still work on a full disk');
      limitFileSize(child.pid!, 'unlimited');

      // An edit that breaks a manifest: reported, and its last good version keeps labelling.
      fs.writeFileSync(path.join(manifestsDir, 'news-link.json'), '{ "label": { "value": "news-link" }, "filter": ');
      await until(async () => (await metric(base, 'skysift_manifest_errors_total')) >= 1, { what: 'the manifest problem in metrics' });
      // The log line comes through a pipe, and may arrive after the metric is read.
      await until(() => /news-link\.json/.test(logs), { what: 'the manifest problem in the log, naming the file' });

      // Another writer holds the database past the busy timeout: the write that meets it (a batch or the
      // cursor) fails, is counted, and is retried.
      const writeFailures = async () => (await metric(base, 'skysift_batch_failures_total')) + (await metric(base, 'skysift_cursor_write_failures_total'));
      const before = await writeFailures();
      const locker = new Database(path.join(dataDir, 'skysift.sqlite'));
      locker.exec('BEGIN IMMEDIATE');
      await new Promise((r) => setTimeout(r, 7000));
      locker.exec('ROLLBACK');
      locker.close();
      await until(async () => (await writeFailures()) > before, { what: 'a failed write counted' });
      assert.match(logs, /database is locked/);

      // Jetstream drops every socket: the service reconnects from its cursor.
      server.dropAll();
      await until(async () => (await metric(base, 'skysift_jetstream_reconnects_total')) >= 1, { what: 'a reconnect counted' });

      await until(async () => activeKeys(await queryAllLabels(base)).length >= expected.length, { ms: 60_000, what: 'every expected label' });
      await new Promise((r) => setTimeout(r, 500));
      const labels = await queryAllLabels(base);
      const seen = labels.map((l) => `${l.uri} ${l.val} ${Boolean(l.neg)}`);
      assert.equal(new Set(seen).size, seen.length, 'no label emitted twice');
      assert.deepEqual(activeKeys(labels), expected);
      assert.equal(child.exitCode, null, 'the service is still running');
      assert.match(logs, /batch failed; retrying/);
      assert.match(logs, /jetstream disconnected/);
    } catch (error) {
      console.log(logs.slice(-6000));
      throw error;
    } finally {
      await stopCli(child);
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a label commit that fails (defect 4)', () => {
  it('broadcasts nothing of it and reuses no seq: subscribers get each label of the retried batch once', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-partial-'));
    const logger = pino({ level: 'silent' });
    const { db } = openDatabase(path.join(dataDir, 'skysift.sqlite'));
    const labeler = new Labeler({ identity: await resolveIdentity(loadConfig({ DATA_DIR: dataDir }), logger), db, dataDir, logger });
    try {
      const url = (await labeler.start(0, '127.0.0.1')).replace('0.0.0.0', '127.0.0.1');
      const posts = amplifiedCapture(3)
        .map(consolidateJetstreamEvent)
        .flatMap((r) => (r.kind === 'post' ? [r.post] : []));
      const { manifests, verdicts } = await shippedVerdicts(posts);
      const labels = new Map(manifests.map((m) => [m.label.value, m.label]));
      const matched = verdicts.filter((v) => v.matched);
      assert.ok(matched.length > 3);
      const [first, ...rest] = matched;
      const subscriber = new LabelSubscriber(url, 0);
      await labeler.apply([first!], [], labels);
      await subscriber.waitFor(1);
      // The disk is full while the rest is written: the whole batch fails, labels and state alike.
      limitFileSize(process.pid, 0);
      try {
        await assert.rejects(labeler.apply(rest, [], labels));
      } finally {
        limitFileSize(process.pid, 'unlimited');
      }
      // A label committed after the failure: once it has arrived, anything of the failed batch would have too.
      const marker = { ...first!, uri: `${first!.uri}-marker` };
      await labeler.apply([marker], [], labels);
      await subscriber.waitFor(2);
      assert.deepEqual(
        subscriber.labels.map((l) => l.uri),
        [first!.uri, marker.uri],
        'nothing of the failed batch was broadcast',
      );
      const retried = await labeler.apply(verdicts, [], labels);
      assert.equal(retried.labelled.length, rest.length, 'the failed batch left no state behind: the retry labels all of it');
      await subscriber.waitFor(matched.length + 1);
      subscriber.close();
      const seen = subscriber.labels.map((l) => `${l.uri} ${l.val}`);
      assert.equal(new Set(seen).size, seen.length, 'none twice');
      assert.equal(seen.length, matched.length + 1);
      assert.ok(subscriber.events.every((seq, i) => i === 0 || seq > subscriber.events[i - 1]!), 'seqs only increase');
      const stored = await queryAllLabels(url);
      assert.deepEqual(stored.map((l) => `${l.uri} ${l.val}`), seen, 'what was broadcast is what is stored, in the same order');
    } finally {
      await labeler.close();
      db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
