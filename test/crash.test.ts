import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { activeKeys, amplifiedCapture, expectedActiveLabels, freePort } from './support/capture.ts';
import { spawnCli } from './support/cli.ts';
import { JetstreamReplayServer } from './support/jetstream-server.ts';
import { queryAllLabels, subscribeWhenUp, type LabelSubscriber } from './support/label-verifier.ts';

const KILLS = 4;

/** "seq: uri val neg cts" of every label a subscriber received, in order. */
const observed = (s: LabelSubscriber) => s.labels.map((l, i) => `${s.seqs[i]}: ${l.uri} ${l.val} ${Boolean(l.neg)} ${l.cts}`);

describe('crash safety', () => {
  it('kill -9 at random points and restarts: the same labels as one clean run, none emitted twice, no seq reused, a resuming subscriber misses none', async () => {
    const events = amplifiedCapture(60);
    const expected = await expectedActiveLabels(events);
    const server = await JetstreamReplayServer.serveEvents(events);
    server.pace = { every: 20, ms: 20 };
    const indexOf = new Map(events.map((e, i) => [e, i]));
    let sentUpTo = -1;
    // How far the stream has gone to the running service (a killed one's connection may linger a moment).
    server.onSent = (event, connection) => {
      if (connection === server.connections[server.connections.length - 1]) sentUpTo = Math.max(sentUpTo, indexOf.get(event as (typeof events)[number]) ?? -1);
    };
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-crash-'));
    const port = await freePort();
    const service = `http://127.0.0.1:${port}`;
    const env = { DATA_DIR: dataDir, LABELER_PORT: String(port), JETSTREAM_URL: server.url, LOG_LEVEL: 'warn', JETSTREAM_REWIND_SECONDS: '0' };
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    // What one subscriber saw across every run, resuming each time from the last seq it had.
    const stream: string[] = [];
    let cursor = 0;
    try {
      const killedAt: number[] = [];
      for (let run = 0; run <= KILLS; run++) {
        // The stream is held back at a point that moves on each run, so a run can only end by a kill,
        // however fast or slow the machine: the last run is let through to the end.
        server.holdAfter = run < KILLS ? Math.round(((run + 1) / (KILLS + 1)) * events.length) : Infinity;
        const child = spawnCli(['start'], env);
        const exited = once(child, 'exit');
        const subscriber = await subscribeWhenUp(service, cursor, child);
        // Somewhere between what is labelled and what the gate lets through (the active labels are most of them).
        const atGate = Math.round(((run + 1) / (KILLS + 1)) * expected.length);
        const killBeyond = stream.length + 1 + Math.floor(random() * Math.max(1, atGate - stream.length));
        if (run < KILLS) {
          // Kill as a label arrives (labelling under way), or once the run has labelled what the gate let through.
          let quietSince = Date.now();
          let seen = 0;
          const gateReached = () => sentUpTo >= server.holdAfter - 1 && Date.now() - quietSince > 1000;
          while (subscriber.labels.length + stream.length < killBeyond && !gateReached() && Date.now() - quietSince < 30_000) {
            await new Promise((r) => setTimeout(r, 5));
            if (subscriber.labels.length !== seen) [seen, quietSince] = [subscriber.labels.length, Date.now()];
          }
          child.kill('SIGKILL');
          killedAt.push(stream.length + subscriber.labels.length);
        } else {
          for (const deadline = Date.now() + 120_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
            const labels = await queryAllLabels(service);
            if (activeKeys(labels).length >= expected.length && stream.length + subscriber.labels.length >= labels.length) break;
          }
          child.kill('SIGTERM');
        }
        await exited;
        await new Promise((r) => setTimeout(r, 50));
        subscriber.close();
        stream.push(...observed(subscriber));
        cursor = subscriber.seqs[subscriber.seqs.length - 1] ?? cursor;
      }
      assert.equal(killedAt.length, KILLS);
      assert.ok(killedAt[0]! < expected.length, `killed mid-stream at ${killedAt.join(', ')} of ${expected.length} labels`);
      console.log(`# crash test: killed at ${killedAt.join(', ')} of ${expected.length} labels`);

      const child = spawnCli(['start'], env);
      try {
        const subscriber = await subscribeWhenUp(service, 0, child);
        const labels = await queryAllLabels(service);
        await subscriber.waitFor(labels.length);
        subscriber.close();
        const seen = labels.map((l) => `${l.uri} ${l.val} ${Boolean(l.neg)}`);
        assert.equal(new Set(seen).size, seen.length, 'no label emitted twice');
        assert.deepEqual(activeKeys(labels), expected);
        // Every seq a subscriber was ever sent still carries the same labels, and resuming from its
        // cursor after each crash it was sent the whole log exactly once.
        assert.deepEqual(stream, observed(subscriber), 'no seq reused, no label missed or repeated across the crashes');
      } finally {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    } finally {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
