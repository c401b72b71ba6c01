/**
 * Cluster mode: the same recorded events, published once to a NATS JetStream stream of 6 partitions,
 * labelled by 1, 2 and 3 worker processes (`skysift start --role worker`, the shipped manifests) into a
 * fresh PostgreSQL database each time. Throughput is taken over the commit window (first label to last
 * partition cursor at the end of the stream), so process start-up is left out; the cost per label is
 * the workers' CPU time over that window divided by the labels committed. On a machine with fewer cores
 * than workers, more workers cannot go faster: the numbers say how the work divides, not how it scales.
 * Then a failover: 3 workers, one killed with SIGKILL mid-run; how long its partitions stand still
 * before a standby worker commits their next batch.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Secp256k1Keypair } from '@atproto/crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { partitionCursor } from '../src/cluster-roles.ts';
import { EVENTS_STREAM, openNatsEvents, publishEvents } from '../src/ingest/nats-events.ts';
import { spawnCli, stopCli } from '../test/support/cli.ts';
import { startTestNats } from '../test/support/nats.ts';
import { startTestPostgres } from '../test/support/postgres.ts';
import { recordedEvents } from './_events.ts';
import { loadAverage } from './_measure.ts';

const EVENTS = Number(process.env.BENCH_CLUSTER_EVENTS ?? 30_000);
const PARTITIONS = 6;

/** User + system CPU seconds of a process so far (/proc/<pid>/stat, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(): Promise<Record<string, number | string>> {
  const events = recordedEvents(EVENTS);
  const [nats, postgres] = await Promise.all([startTestNats(), startTestPostgres()]);
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  const keypair = await Secp256k1Keypair.create({ exportable: true });
  const dirs: string[] = [];
  const out: Record<string, number | string> = { events: events.length, partitions: PARTITIONS, cores: os.cpus().length, 'load average at start': loadAverage() };
  try {
    // The stream is filled once; each run reads it from the start with consumers of its own (a fresh database: cursors at 0).
    const stream = await openNatsEvents({ servers: nats.url.split(','), partitions: PARTITIONS, replicas: 1 });
    for (let i = 0; i < events.length; i += 1_000) await publishEvents(stream, events.slice(i, i + 1_000));
    const jsm = await jetstreamManager(stream.connection);
    const lastSeq = new Map<number, number>();
    for (let p = 0; p < PARTITIONS; p++) {
      const last = await jsm.streams.getMessage(EVENTS_STREAM, { last_by_subj: `ev.${p}.>` }).catch(() => undefined);
      if (last) lastSeq.set(p, last.seq);
    }
    await stream.close();

    const runs = [
      { workers: 1, kill: false },
      { workers: 2, kill: false },
      { workers: 3, kill: false },
      { workers: 3, kill: true },
    ];
    for (const { workers, kill } of runs) {
      const database = `bench_${workers}${kill ? '_failover' : ''}`;
      await admin.query(`CREATE DATABASE ${database}`);
      const url = Object.assign(new URL(postgres.url), { pathname: `/${database}` }).href;
      const db = new pg.Client({ connectionString: url });
      const children: ChildProcess[] = [];
      try {
        for (let w = 0; w < workers; w++) {
          const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-bench-cluster-'));
          dirs.push(dataDir);
          const mine = Array.from({ length: PARTITIONS }, (_, p) => p).filter((p) => p % workers === w);
          const child = spawnCli(['start', '--role', 'worker'], {
            DATA_DIR: dataDir,
            DATABASE_URL: url,
            NATS_URL: nats.url,
            NATS_PARTITIONS: String(PARTITIONS),
            WORKER_PARTITIONS: mine.join(','),
            // Throughput runs: no worker takes another's partitions while they start one after another.
            WORKER_STANDBY: String(kill),
            LABELER_PORT: '0',
            LABELER_DID: keypair.did(),
            LABELER_SIGNING_KEY: Buffer.from(await keypair.export()).toString('hex'),
            LOG_LEVEL: 'warn',
          });
          child.stdout!.resume();
          child.stderr!.resume();
          children.push(child);
        }
        await sleep(500);
        await db.connect();
        const labels = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM labels').catch(() => ({ rows: [{ n: '0' }] }))).rows[0]!.n);
        const cursors = async () => {
          const { rows } = await db.query<{ name: string; position: string }>('SELECT name, position FROM stream_cursors').catch(() => ({ rows: [] as { name: string; position: string }[] }));
          return new Map(rows.map((r) => [r.name, Number(r.position)]));
        };
        const done = async () => {
          const at = await cursors();
          return [...lastSeq].every(([p, seq]) => (at.get(partitionCursor(p)) ?? 0) >= seq);
        };
        // The window opens at the first label committed: every worker has started by then or soon after.
        const deadline = Date.now() + 600_000;
        while ((await labels()) === 0 && Date.now() < deadline) await sleep(20);
        if (kill) {
          // Worker 0 (partitions 0 and 3) dies once half the events are labelled; a standby carries its partitions on.
          while ((await labels()) < 0.5 * (out['3 workers labels'] as number) && Date.now() < deadline) await sleep(20);
          children[0]!.kill('SIGKILL');
          const killedAt = performance.now();
          const before = (await cursors()).get(partitionCursor(0)) ?? 0;
          while (((await cursors()).get(partitionCursor(0)) ?? 0) === before && Date.now() < deadline) await sleep(20);
          out['failover: partition still after kill -9 s'] = Math.round(performance.now() - killedAt) / 1000;
          while (!(await done()) && Date.now() < deadline) await sleep(50);
          out['failover labels'] = await labels();
          out['failover labels equal the 3-worker run'] = String(out['failover labels'] === out['3 workers labels']);
          continue;
        }
        const started = performance.now();
        const cpuAtStart = children.reduce((sum, c) => sum + cpuSeconds(c.pid!), 0);
        const labelsAtStart = await labels();
        while (!(await done()) && Date.now() < deadline) await sleep(50);
        const seconds = (performance.now() - started) / 1000;
        const cpu = children.reduce((sum, c) => sum + cpuSeconds(c.pid!), 0) - cpuAtStart;
        const total = await labels();
        const windowLabels = total - labelsAtStart;
        out[`${workers} workers events/s`] = Math.round((events.length * (windowLabels / total)) / seconds);
        out[`${workers} workers labels/s`] = Math.round(windowLabels / seconds);
        out[`${workers} workers CPU ms/label`] = Math.round((cpu / windowLabels) * 1e4) / 10;
        out[`${workers} workers CPU µs/event`] = Math.round((cpu / (events.length * (windowLabels / total))) * 1e6);
        out[`${workers} workers labels`] = total;
      } finally {
        await Promise.all(children.map(stopCli));
        await db.end().catch(() => undefined);
      }
    }
  } finally {
    await admin.end();
    await Promise.all([nats.stop(), postgres.stop()]);
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
