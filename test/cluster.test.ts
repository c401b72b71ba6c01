import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import pino from 'pino';
import { partitionCursor, partitionCursors, startIngestRole, startWorkerRole } from '../src/cluster-roles.ts';
import { loadConfig } from '../src/config.ts';
import { EVENTS_STREAM } from '../src/ingest/nats-events.ts';
import { openStages } from '../src/service.ts';
import { expectedActiveLabels, recordedEvents } from './support/capture.ts';
import { runCli } from './support/cli.ts';
import { fixture } from './support/fixtures.ts';
import { JetstreamReplayServer } from './support/jetstream-server.ts';
import { startTestNats, type TestNats } from './support/nats.ts';
import { startTestPostgres, type TestPostgres } from './support/postgres.ts';
import { until } from './support/until.ts';

const silent = pino({ level: 'silent' });
const events = recordedEvents();
const lastPostTime = Math.max(...events.filter((e) => e.commit?.collection === 'app.bsky.feed.post').map((e) => e.time_us));

describe('cluster roles: ingest → NATS JetStream → workers → PostgreSQL', () => {
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
    [jetstream, nats, postgres] = await Promise.all([JetstreamReplayServer.start([fixture('jetstream/expected_v1.jsonl')]), startTestNats(), startTestPostgres()]);
    db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
  });
  after(async () => {
    await db.end();
    await Promise.all([jetstream.close(), nats.stop(), postgres.stop()]);
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  const config = (env: Record<string, string>) =>
    loadConfig({ JETSTREAM_URL: jetstream.url, NATS_URL: nats.url, NATS_PARTITIONS: '2', DATABASE_URL: postgres.url, MANIFESTS_DIR: 'manifests', SIGNING_THREADS: '0', DATA_DIR: dataDir(), ...env });
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
      await until(() => ingest.source.cursor >= lastPostTime, { what: 'ingest to publish the capture' });
      await until(async () => (await activeLabels()).length >= expected.length, { what: 'the workers to label the capture' });
      const stored = await streamMessages();
      const sent = events.filter((e) => e.kind !== 'commit' || e.commit?.collection === 'app.bsky.feed.post').length;
      assert.equal(stored, sent, 'one message per event Jetstream sent (posts, identity and account events)');

      // A second reader of the same events (for availability) publishes them again: the stream keeps one copy.
      const second = await startIngestRole(config({}), silent);
      await until(() => second.source.cursor >= lastPostTime, { what: 'the second reader' });
      await second.stop();
      assert.equal(await streamMessages(), stored, 'message-ID de-duplication');
      await new Promise((r) => setTimeout(r, 1_500));

      assert.deepEqual(await activeLabels(), expected);
      const { rows } = await db.query<{ n: string; distinct: string }>('SELECT count(*) AS n, count(DISTINCT (uri, val, neg)) AS distinct FROM labels');
      assert.equal(Number(rows[0]!.n), expected.length, 'each label emitted once');
      assert.equal(rows[0]!.distinct, rows[0]!.n);
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
});
