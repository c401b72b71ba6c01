import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { startService } from '../src/service.ts';
import { openDatabase } from '../src/store/database.ts';
import { PostgresLabelStore } from '../src/label/postgres-store.ts';
import { openPostgres } from '../src/store/postgres.ts';
import { expectedActiveLabels, freePort, lastPostTime, recordedEvents } from './support/capture.ts';
import { runCli, spawnCli } from './support/cli.ts';
import { fixture } from './support/fixtures.ts';
import { JetstreamReplayServer } from './support/jetstream-server.ts';
import { LabelSubscriber, queryAllLabels, verifyLabel } from './support/label-verifier.ts';
import { startTestPostgres, type TestPostgres } from './support/postgres.ts';
import { until } from './support/until.ts';

const capture = fixture('jetstream/expected_v1.jsonl');
const events = recordedEvents();
const lastPost = lastPostTime(events);

describe('DATABASE_URL: the service keeps its labels in PostgreSQL', () => {
  let server: JetstreamReplayServer;
  let postgres: TestPostgres;
  let dataDir: string;
  let expected: string[];

  before(async () => {
    [server, postgres] = await Promise.all([JetstreamReplayServer.start([capture]), startTestPostgres()]);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-pg-service-'));
    expected = await expectedActiveLabels(events);
  });
  after(async () => {
    await server.close();
    await postgres.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const env = () => ({ DATA_DIR: dataDir, LABELER_PORT: '0', JETSTREAM_URL: server.url, MANIFESTS_DIR: 'manifests', DATABASE_URL: postgres.url });

  it('signs, stores and serves the labels from PostgreSQL, and a restart emits nothing new', async () => {
    assert.ok(expected.length > 0);
    const first = await startService(loadConfig(env()), pino({ level: 'silent' }));
    const subscriber = new LabelSubscriber(`http://127.0.0.1:${new URL(first.address).port}`, 0);
    try {
      await subscriber.waitFor(expected.length);
      await until(() => first.source.cursor >= lastPost);
      assert.deepEqual(subscriber.labels.map((l) => `${l.uri} ${l.val}`).sort(), expected);
      for (const label of subscriber.labels) assert.ok(await verifyLabel(label));
    } finally {
      subscriber.close();
      await first.stop();
    }

    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    const inPostgres = await client.query<{ n: string }>('SELECT count(*) AS n FROM labels').finally(() => client.end());
    assert.equal(Number(inPostgres.rows[0]!.n), expected.length);
    const { db } = openDatabase(path.join(dataDir, 'skysift.sqlite'));
    assert.equal(db.prepare('SELECT count(*) FROM labels').pluck().get(), 0, 'no label in the SQLite file');
    db.close();

    const second = await startService(loadConfig(env()), pino({ level: 'silent' }));
    try {
      await until(() => server.connections.length === 2 && second.source.cursor >= lastPost);
      const labels = await queryAllLabels(`http://127.0.0.1:${new URL(second.address).port}`);
      assert.deepEqual(labels.map((l) => `${l.uri} ${l.val}`).sort(), expected, 'every label once, after a restart that replayed the events');
    } finally {
      await second.stop();
    }
  });

  it('explains a labelled post from the PostgreSQL store', async () => {
    const [uri, val] = expected[0]!.split(' ');
    const result = await runCli(['explain', uri!, '--json'], { ...env(), LOG_LEVEL: 'warn' });
    assert.equal(result.code, 0, result.stderr);
    const explained = JSON.parse(result.stdout);
    assert.equal(explained.status, 'labelled');
    assert.ok(explained.labels.some((l: { val: string; active: boolean }) => l.val === val && l.active));
  });

  it('serves them from a label server of its own (--role labels), live as another process commits', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const child = spawnCli(['start', '--role', 'labels'], { DATABASE_URL: postgres.url, LABELER_PORT: String(port), LOG_LEVEL: 'warn' });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const { pool } = await openPostgres(postgres.url);
    const writer = await PostgresLabelStore.open(pool, pino({ level: 'silent' }));
    try {
      await until(async () => (await fetch(`${base}/health`).catch(() => undefined))?.ok === true, { what: `the label server to answer /health (stderr: ${stderr})` });
      const subscriber = new LabelSubscriber(base, 0);
      await subscriber.waitFor(expected.length);
      const [committed] = await writer.commit({ state: [], labels: [{ ...subscriber.labels[0]!, cid: subscriber.labels[0]!.cid ?? null, neg: false, exp: null, signedNegFalse: false }] });
      await subscriber.waitFor(expected.length + 1);
      subscriber.close();
      assert.deepEqual(subscriber.seqs.at(-1), committed!.seq, 'the commit of another process reached the subscriber');
      assert.deepEqual(subscriber.labels.slice(0, expected.length).map((l) => `${l.uri} ${l.val}`).sort(), expected);
      assert.equal((await queryAllLabels(base)).length, expected.length + 1);
    } finally {
      await writer.close();
      await pool.end();
      child.kill('SIGTERM');
    }
    const [code] = await new Promise<[number | null]>((resolve) => child.once('exit', (c) => resolve([c])));
    assert.equal(code, 0, stderr);
  });

  it('refuses --role labels without DATABASE_URL, and a role it does not have, in one line', async () => {
    const noUrl = await runCli(['start', '--role', 'labels'], { DATABASE_URL: '' });
    assert.equal(noUrl.code, 1);
    assert.equal(noUrl.stderr.trim(), 'skysift start: --role labels shares the label store with the other processes in PostgreSQL: set DATABASE_URL');
    const unknown = await runCli(['start', '--role', 'reader']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^skysift start: --role is all, ingest, worker or labels, not "reader"\nUsage: skysift start \[--role all\|ingest\|worker\|labels\]/);
  });
  it('refuses --role worker in one line while a manifest aggregates posts into account labels (its windows are per process)', async () => {
    const manifests = path.join(dataDir, 'account-manifests');
    fs.mkdirSync(manifests, { recursive: true });
    const manifest = { label: { value: 'mostly-apples' }, subject: 'account', aggregate: { minPosts: 3, share: 0.5, windowDays: 7 }, filter: { regex_any: ['text', ['apple']] } };
    fs.writeFileSync(path.join(manifests, 'mostly-apples.json'), JSON.stringify(manifest));
    const refused = await runCli(['start', '--role', 'worker'], { ...env(), MANIFESTS_DIR: manifests, LOG_LEVEL: 'silent' });
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr.trim(),
      `skysift start: account labels aggregated from posts (${path.join(manifests, 'mostly-apples.json')}) keep per-author windows in one process's SQLite, which cluster workers do not share; run them with \`skysift start\` (one process), or move them out of MANIFESTS_DIR`,
    );
  });
});
