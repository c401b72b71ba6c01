import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { startService } from '../src/service.ts';
import { openDatabase } from '../src/store/database.ts';
import { KeyValueStore } from '../src/store/kv.ts';
import { freePort } from './support/capture.ts';
import { spawnCli } from './support/cli.ts';
import { until } from './support/until.ts';

describe('Jetstream out of reach', () => {
  it('the service keeps serving, says why it is degraded, counts and logs every attempt, reports no lag it does not know, and stops at once', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-offline-'));
    const lines: { msg: string; attempt?: number; nextDelayMs?: number; err?: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const endpoint = `ws://127.0.0.1:${await freePort()}/subscribe`;
    const service = await startService(loadConfig({ DATA_DIR: dataDir, LABELER_PORT: '0', JETSTREAM_URL: endpoint, MANIFESTS_DIR: 'manifests' }), logger);
    const base = `http://127.0.0.1:${new URL(service.address).port}`;
    let stopped = false;
    try {
      // The first retry waits about 3 s: by then the attempt count shows in metrics and logs.
      await until(() => lines.filter((l) => l.msg === 'jetstream unreachable; retrying').length >= 2, { what: 'two failed attempts' });
      const retries = lines.filter((l) => l.msg === 'jetstream unreachable; retrying');
      assert.deepEqual(
        retries.map((l) => l.attempt),
        [1, 2],
      );
      assert.ok(retries[0]!.nextDelayMs! >= 2250 && retries[0]!.nextDelayMs! <= 3750, `first delay ${retries[0]!.nextDelayMs} ms`);
      assert.ok(retries[1]!.nextDelayMs! >= 4500 && retries[1]!.nextDelayMs! <= 7500, `second delay ${retries[1]!.nextDelayMs} ms`);
      assert.match(retries[0]!.err!, /ECONNREFUSED/);

      const health = await fetch(`${base}/health`);
      assert.equal(health.status, 200, 'labels are still served: degraded, not down');
      const report = await health.json();
      assert.equal(report.status, 'degraded');
      assert.equal(report.database, 'ok');
      assert.deepEqual(
        report.problems.map((p: { component: string }) => p.component),
        ['jetstream'],
      );
      assert.match(report.problems[0].reason, /not connected \(2 failed attempts; last error at .*ECONNREFUSED.*\); next attempt at /);
      assert.equal(report.jetstream.connected, false);
      assert.equal(report.jetstream.failedAttempts, 2);
      assert.equal(report.jetstream.lagSeconds, null, 'no event ever processed: the lag is unknown, not 0');

      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.match(metrics, /\nskysift_jetstream_connect_failures_total 2\n/);
      assert.match(metrics, /\nskysift_jetstream_reconnects_total 1\n/);
      assert.match(metrics, /\nskysift_jetstream_connected 0\n/);
      // prom-client writes NaN as `Nan`, which Prometheus parses (float parsing ignores case).
      assert.match(metrics, /\nskysift_cursor_lag_seconds nan\n/i);

      const started = performance.now();
      await service.stop();
      stopped = true;
      const ms = performance.now() - started;
      console.log(`stopped in ${Math.round(ms)} ms while waiting to reconnect`);
      assert.ok(ms < 2000, `stopped in ${Math.round(ms)} ms while waiting to reconnect`);
    } finally {
      if (!stopped) await service.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('`skysift start` reports the age of the stored cursor as lag, and exits on SIGTERM well within 10 s while a handshake hangs', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-offline-'));
    const { db } = openDatabase(path.join(dataDir, 'skysift.sqlite'));
    new KeyValueStore(db).set('jetstream.cursor', String((Date.now() - 120_000) * 1000));
    db.close();
    // Accepts TCP and never answers the opening handshake: a host behind a black hole.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = await freePort();
    const child = spawnCli(['start'], {
      DATA_DIR: dataDir,
      MANIFESTS_DIR: 'manifests',
      LABELER_PORT: String(port),
      JETSTREAM_URL: `ws://127.0.0.1:${(silent.address() as AddressInfo).port}/subscribe`,
      LOG_LEVEL: 'warn',
    });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    try {
      const health = async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.json();
      await until(async () => (await health()) !== undefined && sockets.length > 0, { what: 'the service up, its handshake pending' });
      const report = await health();
      assert.equal(report.status, 'degraded');
      assert.deepEqual(
        report.problems.map((p: { component: string }) => p.component),
        ['jetstream'],
      );
      // The handshake times out after 10 s: on a slow machine the report may already say so.
      assert.match(report.problems[0].reason, /^(connecting|not connected .*handshake has timed out.*)$/);
      assert.ok(report.jetstream.lagSeconds >= 120 && report.jetstream.lagSeconds < 180, `lag ${report.jetstream.lagSeconds} s: the stored cursor's age`);
      const started = performance.now();
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      const ms = performance.now() - started;
      console.log(`exited ${Math.round(ms)} ms after SIGTERM, a handshake pending`);
      assert.equal(code, 0, output);
      assert.ok(ms < 5000, `exited ${Math.round(ms)} ms after SIGTERM`);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      sockets.forEach((s) => s.destroy());
      silent.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
