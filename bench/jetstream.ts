/**
 * Events/s through the Jetstream source alone: a loopback server replaying recorded events as fast as
 * the socket takes them, the source reading, checking and counting every message, queueing, batching
 * and moving the cursor, with a handler that does nothing. The ceiling ingest puts on the pipeline.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { JetstreamSource } from '../src/ingest/jetstream.ts';
import { Metrics } from '../src/metrics.ts';
import { openDatabase } from '../src/store/database.ts';
import { KeyValueStore } from '../src/store/kv.ts';
import { JetstreamReplayServer } from '../test/support/jetstream-server.ts';
import { until } from '../test/support/until.ts';
import { recordedEvents } from './_events.ts';

const EVENTS = Number(process.env.BENCH_JETSTREAM_EVENTS ?? 100_000);

export async function run(): Promise<Record<string, number>> {
  const events = recordedEvents(EVENTS);
  const server = await JetstreamReplayServer.serveEvents(events);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-bench-jetstream-'));
  const { db } = openDatabase(path.join(dir, 'skysift.sqlite'));
  let received = 0;
  const source = new JetstreamSource({
    endpoint: server.url,
    wantedCollections: [],
    kv: new KeyValueStore(db),
    logger: pino({ level: 'silent' }),
    metrics: new Metrics(),
    rewindSeconds: 0,
    queueMax: 4096,
    maxMessageBytes: 1_000_000,
    handle: async (batch) => void (received += batch.length),
  });
  try {
    const started = performance.now();
    const cpu = process.cpuUsage();
    source.start();
    await until(() => received >= events.length, { ms: 120_000, what: 'every event' });
    const seconds = (performance.now() - started) / 1000;
    const { user, system } = process.cpuUsage(cpu);
    return {
      events: events.length,
      'socket → batches events/s (no-op handler)': Math.round(events.length / seconds),
      // Steadier than wall time on a shared machine; includes the loopback server's share (the same on every run).
      'CPU µs per event (server + source)': Math.round(((user + system) / events.length) * 10) / 10,
    };
  } finally {
    await source.stop();
    await server.close();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
