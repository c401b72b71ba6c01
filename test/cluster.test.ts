import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { Secp256k1Keypair } from '@atproto/crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import Database from 'better-sqlite3';
import pg from 'pg';
import pino from 'pino';
import { partitionCursor, partitionCursors, startIngestRole, startWorkerRole } from '../src/cluster-roles.ts';
import { databasePath, loadConfig } from '../src/config.ts';
import { EVENTS_STREAM } from '../src/ingest/nats-events.ts';
import { openStages } from '../src/service.ts';
import { amplifiedCapture, expectedActiveLabels, freePort, lastPostTime, recordedEvents } from './support/capture.ts';
import { runCli, spawnCli, stopCli } from './support/cli.ts';
import { fixture } from './support/fixtures.ts';
import { JetstreamReplayServer } from './support/jetstream-server.ts';
import { subscribeWhenUp, type LabelSubscriber } from './support/label-verifier.ts';
import { startTestNats, type TestNats } from './support/nats.ts';
import { startTestPostgres, type TestPostgres } from './support/postgres.ts';
import { metric } from './support/metrics.ts';
import { until } from './support/until.ts';

const silent = pino({ level: 'silent' });

/** The PostgreSQL server listening on `port` and its backends, from /proc. */
function postgresProcesses(port: number): number[] {
  const processes = fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        const parent = Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
        return [{ pid: Number(pid), parent, cmdline }];
      } catch {
        return [];
      }
    });
  const server = processes.find((p) => p.cmdline[0]!.endsWith('/postgres') && p.cmdline.includes('-p') && p.cmdline[p.cmdline.indexOf('-p') + 1] === String(port));
  assert.ok(server, `a postgres server on port ${port}`);
  return [server.pid, ...processes.filter((p) => p.parent === server.pid).map((p) => p.pid)];
}
/** Rounds of the recorded capture (152 events each) replayed through the 3-worker cluster. */
const FAILOVER_ROUNDS = 16;
const events = recordedEvents();
const lastPost = lastPostTime(events);

describe('cluster roles: ingest → NATS JetStream (3 servers) → workers → PostgreSQL', () => {
  let jetstream: JetstreamReplayServer;
  let nats: TestNats;
  let postgres: TestPostgres;
  let db: pg.Client;
  const dirs: string[] = [];
  const dataDir = () => {
    dirs.push(fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-cluster-')));
    return dirs[dirs.length - 1]!;
  };

  before(async () => {
    // Each one kept as soon as it is up, so that `after` stops what started when another failed.
    const started = await Promise.allSettled([
      JetstreamReplayServer.start([fixture('jetstream/expected_v1.jsonl')]).then((s) => (jetstream = s)),
      startTestNats(3).then((n) => (nats = n)),
      startTestPostgres().then((p) => (postgres = p)),
    ]);
    for (const result of started) if (result.status === 'rejected') throw result.reason;
    db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
  });
  after(async () => {
    await db?.end();
    await Promise.all([jetstream?.close(), nats?.stop(), postgres?.stop()]);
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  const config = (env: Record<string, string>) =>
    loadConfig({ JETSTREAM_URL: jetstream.url, NATS_URL: nats.url, NATS_PARTITIONS: '2', NATS_STREAM_REPLICAS: '3', DATABASE_URL: postgres.url, MANIFESTS_DIR: 'manifests', SIGNING_THREADS: '0', LABELER_PORT: '0', DATA_DIR: dataDir(), ...env });
  const activeLabels = async () => (await db.query<{ k: string }>("SELECT uri || ' ' || val AS k FROM label_state WHERE active ORDER BY k")).rows.map((r) => r.k);
  const streamMessages = async () => {
    const connection = await connect({ servers: nats.url });
    try {
      return (await (await jetstreamManager(connection)).streams.info(EVENTS_STREAM)).state.messages;
    } finally {
      await connection.close();
    }
  };

  it('two workers on two partitions leave the labels a single-process run does, each once; a second reader adds nothing', async () => {
    const expected = await expectedActiveLabels(events);
    assert.ok(expected.length > 0);
    const ingest = await startIngestRole(config({}), silent);
    const workers = await Promise.all(['0', '1'].map((p) => startWorkerRole({ ...config({ WORKER_PARTITIONS: p }), DATABASE_URL: postgres.url }, silent)));
    try {
      await until(() => ingest.source.cursor >= lastPost, { what: 'ingest to publish the capture' });
      await until(async () => (await activeLabels()).length >= expected.length, { what: 'the workers to label the capture' });
      const stored = await streamMessages();
      const sent = events.filter((e) => e.kind !== 'commit' || e.commit?.collection === 'app.bsky.feed.post').length;
      assert.equal(stored, sent, 'one message per event Jetstream sent (posts, identity and account events)');

      // A second reader of the same events (for availability) publishes them again: the stream keeps one copy.
      const second = await startIngestRole(config({}), silent);
      await until(() => second.source.cursor >= lastPost, { what: 'the second reader' });
      assert.equal(await metric(second.address, 'skysift_nats_duplicates_total', { role: 'ingest' }), sent, 'counted as duplicates');
      await second.stop();
      assert.equal(await streamMessages(), stored, 'message-ID de-duplication');
      assert.equal(await metric(ingest.address, 'skysift_nats_published_total', { role: 'ingest' }), sent);
      await new Promise((r) => setTimeout(r, 1_500));

      assert.deepEqual(await activeLabels(), expected);
      const { rows } = await db.query<{ n: string; distinct: string }>('SELECT count(*) AS n, count(DISTINCT (uri, val, neg)) AS distinct FROM labels');
      assert.equal(Number(rows[0]!.n), expected.length, 'each label emitted once');
      assert.equal(rows[0]!.distinct, rows[0]!.n);
      for (const [p, worker] of workers.entries()) {
        assert.ok((await metric(worker.address, 'skysift_worker_batches_total', { role: 'worker', partition: String(p) })) > 0, `worker ${p} counts its batches`);
        assert.equal(await metric(worker.address, 'skysift_worker_lag_messages', { role: 'worker', partition: String(p) }), 0, `worker ${p} has caught up`);
        assert.equal((await (await fetch(`${worker.address}/health`)).json()).role, 'worker');
      }
    } finally {
      await ingest.stop();
      for (const worker of workers) await worker.stop();
    }
  });
  it('decisions by hand from the CLI go to the shared PostgreSQL store, where explain reads them', async () => {
    const env = { DATABASE_URL: postgres.url, DATA_DIR: dataDir(), MANIFESTS_DIR: 'manifests', LOG_LEVEL: 'warn' };
    const subject = 'did:plc:handpicked';
    const before = (await db.query<{ n: string }>('SELECT count(*) AS n FROM labels')).rows[0]!.n;
    const added = await runCli(['label', 'add', subject, 'art', '--reason', 'draws every day', '--by', 'mod-ann'], env);
    assert.equal(added.code, 0, added.stderr);
    const { rows } = await db.query('SELECT uri, val, active, created_by, reason FROM label_overrides');
    assert.deepEqual(rows, [{ uri: subject, val: 'art', active: true, created_by: 'mod-ann', reason: 'draws every day' }]);
    const labels = await db.query('SELECT uri, val, neg FROM labels WHERE uri = $1', [subject]);
    assert.deepEqual(labels.rows, [{ uri: subject, val: 'art', neg: false }]);
    assert.equal(Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM labels')).rows[0]!.n), Number(before) + 1);
    const explained = await runCli(['explain', subject, '--json'], env);
    assert.equal(explained.code, 0, explained.stderr);
    const json = JSON.parse(explained.stdout);
    assert.deepEqual(
      json.labels.map((l: { val: string; active: boolean; override: { createdBy: string } }) => [l.val, l.active, l.override.createdBy]),
      [['art', true, 'mod-ann']],
    );
  });
  it('commits the partition cursor with the labels: a batch delivered again, even after later ones, changes nothing', async () => {
    const [first] = await expectedActiveLabels(events);
    const uri = first!.split(' ')[0]!;
    const created = events.find((e) => e.commit && `at://${e.did}/${e.commit.collection}/${e.commit.rkey}` === uri)!;
    const deleted = { ...created, time_us: created.time_us + 1, commit: { ...created.commit!, operation: 'delete', record: undefined } };
    const stages = await openStages(config({}), silent);
    try {
      const store = stages.labeler.store;
      const worker = partitionCursors(stages.pipeline, store, silent);
      const labelsOf = async () => (await db.query<{ n: string }>('SELECT count(*) AS n FROM labels WHERE uri = $1', [uri])).rows[0]!.n;
      await db.query('DELETE FROM labels WHERE uri = $1', [uri]);
      await db.query('DELETE FROM label_state WHERE uri = $1', [uri]);
      assert.ok((await worker.apply(9, [{ seq: 101, event: created }])).labelled.length > 0);
      assert.ok((await worker.apply(9, [{ seq: 102, event: deleted }])).negated.length > 0);
      const head = await store.head();
      assert.equal(await store.cursor(partitionCursor(9)), 102, 'the cursor moved with the labels');

      // The creating batch again (its acknowledgement lost): skipped, so the deleted post is not labelled again.
      assert.deepEqual(await worker.apply(9, [{ seq: 101, event: created }]), { labelled: [], negated: [] });
      // A restarted worker reads the cursor from PostgreSQL and skips both.
      const restarted = partitionCursors(stages.pipeline, store, silent);
      await restarted.apply(9, [
        { seq: 101, event: created },
        { seq: 102, event: deleted },
      ]);
      assert.equal(await store.head(), head, 'no new seq');
      assert.equal(await labelsOf(), '2', 'one label and one negation');

      // Without the cursor the same batch would label the deleted post again: what the cursor prevents.
      await stages.pipeline([created]);
      assert.ok((await store.head()) > head);
    } finally {
      await stages.close();
    }
  });
  it('3 workers and 2 label servers label as one `skysift replay` does, through kill -9 of a worker (its partition taken over, then handed back) and of the stream leader: none lost, none twice, no seq reused, each subscriber sees each label once', async () => {
    const capture = amplifiedCapture(FAILOVER_ROUNDS);
    const file = path.join(dataDir(), 'capture.jsonl');
    fs.writeFileSync(file, capture.map((e) => JSON.stringify(e)).join('\n'));
    const replayDir = dataDir();
    const replayed = runCli(['replay', file], { DATA_DIR: replayDir, MANIFESTS_DIR: 'manifests', SIGNING_THREADS: '0', LOG_LEVEL: 'warn' });

    // A stream and a database of its own.
    const connection = await connect({ servers: nats.url.split(',') });
    const jsm = await jetstreamManager(connection);
    await jsm.streams.delete(EVENTS_STREAM).catch(() => false);
    await db.query('CREATE DATABASE failover');
    const databaseUrl = Object.assign(new URL(postgres.url), { pathname: '/failover' }).href;
    const failover = new pg.Client({ connectionString: databaseUrl });
    await failover.connect();
    const keypair = await Secp256k1Keypair.create({ exportable: true });
    const source = await JetstreamReplayServer.serveEvents(capture);
    source.pace = { every: 20, ms: 25 };
    // The second half of the stream waits for the kills, so that ingest publishes through the leader's election.
    source.holdAfter = capture.length / 2;
    const env = {
      JETSTREAM_URL: source.url,
      NATS_URL: nats.url,
      NATS_PARTITIONS: '3',
      NATS_STREAM_REPLICAS: '3',
      DATABASE_URL: databaseUrl,
      MANIFESTS_DIR: 'manifests',
      SIGNING_THREADS: '0',
      LABELER_PORT: '0',
      LABELER_DID: keypair.did(),
      LABELER_SIGNING_KEY: Buffer.from(await keypair.export()).toString('hex'),
      LOG_LEVEL: 'warn',
    };
    const children: ChildProcess[] = [];
    let logs = '';
    const spawnRole = (role: string, extra: Record<string, string>) => {
      const child = spawnCli(['start', '--role', role], { ...env, ...extra });
      child.stdout!.resume();
      child.stderr!.on('data', (d) => (logs += `${role}: ${d}`));
      children.push(child);
      return child;
    };
    const workerDirs = ['0', '1', '2'].map(() => dataDir());
    const worker = (p: number) => spawnRole('worker', { WORKER_PARTITIONS: String(p), DATA_DIR: workerDirs[p]!, LABELER_PORT: '0' });
    const workers = [0, 1, 2].map(worker);
    const ports = [await freePort(), await freePort()];
    const labelServers = ports.map((port) => spawnRole('labels', { DATA_DIR: dataDir(), LABELER_PORT: String(port) }));
    const count = async (sql: string) => Number((await failover.query<{ n: string }>(sql)).rows[0]!.n);
    let ingest: Awaited<ReturnType<typeof startIngestRole>> | undefined;
    const subscribers: LabelSubscriber[] = [];
    try {
      for (const [i, port] of ports.entries()) subscribers.push(await subscribeWhenUp(`http://127.0.0.1:${port}`, 0, labelServers[i]!));
      await until(async () => (await jsm.consumers.list(EVENTS_STREAM).next().catch(() => [])).length === 3, { what: 'the three workers to make their consumers', ms: 60_000 }).catch((error: Error) => {
        throw new Error(`${error.message}; their logs:\n${logs}`);
      });
      ingest = await startIngestRole(loadConfig({ ...env, DATA_DIR: dataDir() }), silent);
      const lastTime = Math.max(...capture.map((e) => e.time_us));

      // Mid-run: a worker and the server leading the stream die without a word.
      await until(async () => (await count('SELECT count(*) AS n FROM labels')) >= 20, { what: 'the first labels', ms: 60_000 });
      const leader = (await jsm.streams.info(EVENTS_STREAM)).cluster!.leader!;
      workers[0]!.kill('SIGKILL');
      nats.servers.get(leader)!.kill('SIGKILL');
      const labelsAtKill = await count('SELECT count(*) AS n FROM labels');
      const ingestAtKill = ingest.source.cursor;
      source.holdAfter = Infinity;
      // Worker 0's partition is taken over by a standby while it is gone (only a worker reading it moves its
      // cursor), and handed back when it returns.
      const cursorAtKill = await count(`SELECT coalesce(max(position), 0) AS n FROM stream_cursors WHERE name = '${partitionCursor(0)}'`);
      await until(async () => (await count(`SELECT coalesce(max(position), 0) AS n FROM stream_cursors WHERE name = '${partitionCursor(0)}'`)) > cursorAtKill, {
        what: "another worker to take partition 0 over",
        ms: 60_000,
      });
      workers[0] = worker(0);

      const { code, stderr } = await replayed;
      assert.equal(code, 0, stderr);
      const replay = new Database(databasePath({ DATA_DIR: replayDir }), { readonly: true });
      const expected = (replay.prepare("SELECT uri || ' ' || val AS k FROM label_state WHERE active = 1 ORDER BY k").pluck().all() as string[]).sort();
      const replayLabels = (replay.prepare('SELECT count(*) FROM labels').pluck().get() as number);
      replay.close();
      assert.ok(labelsAtKill < replayLabels && ingestAtKill < lastTime, `killed mid-run (${labelsAtKill} of ${replayLabels} labels)`);

      const active = async () => (await failover.query<{ k: string }>("SELECT uri || ' ' || val AS k FROM label_state WHERE active")).rows.map((r) => r.k).sort();
      await until(async () => (await active()).length >= expected.length && ingest!.source.cursor >= lastTime, { what: 'the cluster to label the capture', ms: 90_000 });
      await new Promise((r) => setTimeout(r, 1_000));
      assert.deepEqual(await active(), expected, 'the active labels of a single-process replay');
      const stored = (await failover.query<{ id: string; k: string }>("SELECT id, uri || ' ' || val || ' ' || neg || ' ' || cts AS k FROM labels ORDER BY id")).rows;
      assert.equal(stored.length, replayLabels, 'as many labels and negations as the replay signed');
      assert.equal(await count('SELECT count(DISTINCT (uri, val, neg)) AS n FROM labels'), stored.length, 'none emitted twice');
      assert.deepEqual(
        stored.map((r) => Number(r.id)),
        stored.map((_, i) => i + 1),
        'ids 1..n: no seq reused or skipped',
      );
      for (const subscriber of subscribers) {
        await subscriber.waitFor(stored.length, 30_000);
        await new Promise((r) => setTimeout(r, 200));
        const seen = subscriber.labels.map((l) => `${l.uri} ${l.val} ${Boolean(l.neg)} ${l.cts}`);
        assert.deepEqual(seen, stored.map((r) => r.k), 'every label once, in seq order');
        assert.ok(subscriber.events.every((seq, i) => i === 0 || seq > subscriber.events[i - 1]!), 'event seqs only go up');
      }
      for (const port of ports) {
        const base = `http://127.0.0.1:${port}`;
        assert.equal(await metric(base, 'skysift_labels_served_total', { role: 'labels', method: 'subscribeLabels' }), stored.length);
        assert.equal(await metric(base, 'skysift_label_subscribers', { role: 'labels' }), 1);
      }
    } finally {
      for (const subscriber of subscribers) subscriber.close();
      await ingest?.stop();
      await Promise.all(children.map(stopCli));
      await source.close();
      await failover.end();
      await connection.close();
    }
  });
  it('a worker told to stop while PostgreSQL hangs exits after STOP_TIMEOUT_SECONDS, with status 1 and a line saying why', { timeout: 90_000 }, async () => {
    const port = await freePort();
    const child = spawnCli(['start', '--role', 'worker'], { NATS_URL: nats.url, NATS_PARTITIONS: '2', NATS_STREAM_REPLICAS: '3', DATABASE_URL: postgres.url, MANIFESTS_DIR: 'manifests', DATA_DIR: dataDir(), LABELER_PORT: String(port), STOP_TIMEOUT_SECONDS: '2' });
    let log = '';
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    const frozen: number[] = [];
    try {
      const held = async () => ((await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.json(), () => undefined)) as { partitions?: number[] } | undefined)?.partitions?.length === 2;
      await until(held, { ms: 60_000, what: 'the worker to read both partitions' });
      // The whole server stops answering (a host gone quiet): the worker's next lease tick waits on it for good.
      frozen.push(...postgresProcesses(Number(new URL(postgres.url).port)));
      for (const pid of frozen) process.kill(pid, 'SIGSTOP');
      await new Promise((r) => setTimeout(r, 1_500));
      const asked = performance.now();
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 1, log);
      const seconds = (performance.now() - asked) / 1000;
      assert.ok(seconds >= 1.9 && seconds < 15, `exited after ${seconds.toFixed(1)} s`);
      assert.match(log, /not stopped within STOP_TIMEOUT_SECONDS; exiting anyway/);
    } finally {
      for (const pid of frozen) process.kill(pid, 'SIGCONT');
      await stopCli(child);
    }
  });
});
