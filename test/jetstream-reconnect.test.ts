import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { describe, it } from 'node:test';
import pino from 'pino';
import { WebSocketServer } from 'ws';
import { backoffDelay, DEFAULT_BACKOFF } from '../src/ingest/backoff.ts';
import { freePort } from './support/capture.ts';
import { sourceOnTempDatabase } from './support/jetstream-source.ts';
import { until } from './support/until.ts';

interface LogLine {
  msg: string;
  attempt?: number;
  nextDelayMs?: number;
  err?: string;
}

/** A logger whose lines the test reads back. */
function capturedLogger() {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  const planned = (msg: string) => lines.filter((l) => l.msg === msg).map((l) => [l.attempt, l.nextDelayMs]);
  return { logger, lines, planned };
}

/**
 * A Jetstream stand-in that refuses the opening handshake (HTTP 503) while `refusing`, else accepts,
 * sends `events` and keeps the socket open. Records when each attempt arrived.
 */
async function flakyJetstream(events: object[] = []) {
  const attempts: number[] = [];
  const wss = new WebSocketServer({ noServer: true });
  const server = http.createServer();
  const state = { refusing: true };
  server.on('upgrade', (request, socket, head) => {
    attempts.push(performance.now());
    if (state.refusing) socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    else wss.handleUpgrade(request, socket, head, (ws) => events.forEach((e) => ws.send(JSON.stringify(e))));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/subscribe`,
    attempts,
    state,
    dropAll: () => wss.clients.forEach((ws) => ws.terminate()),
    close: async () => {
      wss.clients.forEach((ws) => ws.terminate());
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('reconnecting to Jetstream', () => {
  it('backs off exponentially up to a cap, each delay spread over ±25%', () => {
    const options = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.25 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((retry) => backoffDelay(retry, options, () => 0.5)),
      [100, 200, 400, 800, 1000, 1000],
    );
    assert.equal(
      backoffDelay(1, options, () => 0),
      75,
    );
    assert.equal(
      backoffDelay(5, options, () => 0.999999),
      1250,
    );
    assert.deepEqual(DEFAULT_BACKOFF, { initialMs: 3000, maxMs: 60_000, factor: 2, jitter: 0.25 });
  });

  it('logs each failed attempt with its count and next delay, waits that long, counts failures, and starts over after a connection that delivered events', async () => {
    const events = [1, 2, 3].map((n) => ({ kind: 'identity', did: `did:plc:${n}`, time_us: 1_700_000_000_000_000 + n, identity: { did: `did:plc:${n}` } }));
    const server = await flakyJetstream(events);
    const { logger, planned } = capturedLogger();
    const randoms = [0, 0.999999, 0.5, 0.25, 0.75];
    let draw = 0;
    const received: unknown[] = [];
    const harness = sourceOnTempDatabase({
      endpoint: server.url,
      logger,
      handle: async (batch) => void received.push(...batch),
      connection: { backoff: { initialMs: 100, maxMs: 400 }, random: () => randoms[draw++ % randoms.length]! },
    });
    const source = harness.open();
    try {
      source.start();
      await until(() => server.attempts.length === 4, { what: 'four refused attempts' });
      server.state.refusing = false;
      await until(() => received.length === 3, { what: 'the events of the fifth attempt' });
      assert.deepEqual(planned('jetstream unreachable; retrying'), [
        [1, 75],
        [2, 250],
        [3, 400],
        [4, 350],
      ]);
      const gaps = server.attempts.slice(1).map((t, i) => t - server.attempts[i]!);
      for (const [i, [, delay]] of planned('jetstream unreachable; retrying').entries())
        assert.ok(gaps[i]! >= delay! - 2, `attempt ${i + 2} came ${gaps[i]} ms after the one before, planned ${delay}`);
      assert.equal((await harness.metrics.jetstreamConnectFailures.get()).values[0]!.value, 4);
      assert.equal(source.status().failedAttempts, 0, 'a connection that delivers events ends the run of failures');
      assert.match(source.status().lastError!.message, /503/);

      server.dropAll();
      await until(() => server.attempts.length === 6, { what: 'a reconnection after the drop' });
      assert.deepEqual(planned('jetstream disconnected; reconnecting'), [[1, 113]], 'the backoff starts over after a healthy connection');
      assert.equal((await harness.metrics.reconnects.get()).values[0]!.value, 5);
    } finally {
      await source.stop();
      await server.close();
      harness.cleanup();
    }
  });

  it('spreads the retries of clients that failed together (jitter)', async () => {
    const server = await flakyJetstream();
    const clients = [capturedLogger(), capturedLogger()];
    const harness = sourceOnTempDatabase({ endpoint: server.url, handle: async () => undefined });
    const sources = clients.map(({ logger }) => harness.open({ logger, connection: { backoff: { initialMs: 40, maxMs: 160 } } }));
    try {
      for (const source of sources) source.start();
      await until(() => clients.every((c) => c.planned('jetstream unreachable; retrying').length >= 4), { what: 'four retries each' });
      const delays = clients.map((c) =>
        c
          .planned('jetstream unreachable; retrying')
          .slice(0, 4)
          .map(([, delay]) => delay!),
      );
      for (const plan of delays) {
        plan.forEach((delay, i) => {
          const base = Math.min(160, 40 * 2 ** i);
          assert.ok(delay >= base * 0.75 && delay <= base * 1.25, `retry ${i + 1}: ${delay} ms, base ${base}`);
        });
      }
      assert.notDeepEqual(delays[0], delays[1], 'two clients do not retry in step');
    } finally {
      await Promise.all(sources.map((s) => s.stop()));
      await server.close();
      harness.cleanup();
    }
  });

  it('says why an attempt failed: refused, or a handshake that never completes; stops at once meanwhile', async () => {
    const closed = capturedLogger();
    const harness = sourceOnTempDatabase({ endpoint: `ws://127.0.0.1:${await freePort()}/subscribe`, handle: async () => undefined });
    const refused = harness.open({ logger: closed.logger });
    // Accepts TCP and never answers: a host behind a black hole, or an overloaded one.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const hanging = capturedLogger();
    const stalled = harness.open({ endpoint: `ws://127.0.0.1:${(silent.address() as AddressInfo).port}/subscribe`, logger: hanging.logger, connection: { handshakeTimeoutMs: 300 } });
    try {
      refused.start();
      stalled.start();
      await until(() => closed.lines.some((l) => l.msg === 'jetstream unreachable; retrying'));
      assert.match(closed.lines.find((l) => l.msg === 'jetstream unreachable; retrying')!.err!, /ECONNREFUSED/);
      await until(() => hanging.lines.some((l) => l.msg === 'jetstream unreachable; retrying'));
      assert.match(stalled.status().lastError!.message, /handshake has timed out/);
      assert.equal(stalled.status().connected, false);
      assert.ok(Date.parse(stalled.status().nextAttemptAt!) > Date.now(), 'waiting for the next attempt');
    } finally {
      const started = performance.now();
      await Promise.all([refused.stop(), stalled.stop()]);
      const ms = performance.now() - started;
      assert.ok(ms < 1000, `stopped in ${Math.round(ms)} ms`);
      sockets.forEach((s) => s.destroy());
      silent.close();
      harness.cleanup();
    }
  });

  it('replaces a connection that went silent (a half-open socket), after a ping that got no answer', async () => {
    // autoPong off: the server neither sends events nor answers pings, as a dead peer would not.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: false });
    await new Promise((resolve) => wss.once('listening', resolve));
    let connections = 0;
    wss.on('connection', () => connections++);
    const { logger, lines } = capturedLogger();
    const harness = sourceOnTempDatabase({ endpoint: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/subscribe`, logger, handle: async () => undefined });
    const source = harness.open({ connection: { idleTimeoutMs: 100, backoff: { initialMs: 50 } } });
    try {
      source.start();
      await until(() => connections === 2, { what: 'a second connection' });
      assert.ok(lines.some((l) => l.msg === 'jetstream disconnected; reconnecting'));
      assert.match(source.status().lastError!.message, /no data for/);
    } finally {
      await source.stop();
      wss.clients.forEach((ws) => ws.terminate());
      await new Promise((resolve) => wss.close(resolve));
      harness.cleanup();
    }
  });
});
