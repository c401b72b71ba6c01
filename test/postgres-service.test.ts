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
import { expectedActiveLabels, recordedEvents } from './support/capture.ts';
import { runCli } from './support/cli.ts';
import { fixture } from './support/fixtures.ts';
import { JetstreamReplayServer } from './support/jetstream-server.ts';
import { LabelSubscriber, queryAllLabels, verifyLabel } from './support/label-verifier.ts';
import { startTestPostgres, type TestPostgres } from './support/postgres.ts';
import { until } from './support/until.ts';

const capture = fixture('jetstream/expected_v1.jsonl');
const events = recordedEvents();
const lastPostTime = Math.max(...events.filter((e) => e.commit?.collection === 'app.bsky.feed.post').map((e) => e.time_us));

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
      await until(() => first.source.cursor >= lastPostTime);
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
      await until(() => server.connections.length === 2 && second.source.cursor >= lastPostTime);
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
});
