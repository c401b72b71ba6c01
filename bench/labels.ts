/**
 * subscribeLabels under load: a label log with history, 1,000 subscribers in a process of their own
 * (most live; a tenth resuming from old cursors, one from the start of the log, backfilling while the
 * rest is live), and labels committed at 1,000/s in commits of 50. The labels are signed through the
 * Labeler first, whose own rate (diff, sign, commit) is reported apart: signing is the emitting side's
 * cost, the fan-out is this bench's question. Reports the broadcast latency from commit to arrival at
 * the live subscribers, the server's memory and event-loop delay, and whether any subscriber missed or
 * repeated a label. BENCH_SUBSCRIBERS, BENCH_LABEL_HISTORY, BENCH_LABELS_PER_SECOND and
 * BENCH_LABEL_SECONDS change the load.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import type { Verdict } from '../src/evaluate/index.ts';
import { resolveIdentity } from '../src/label/identity.ts';
import { Labeler } from '../src/label/index.ts';
import { SqliteLabelStore } from '../src/label/sqlite-store.ts';
import { openDatabase } from '../src/store/database.ts';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
/** Subscribers resuming from old cursors: one from the start of the log, the rest from within its last RECENT labels. */
const RESUMING = Math.round(SUBSCRIBERS / 10);
const HISTORY = Number(process.env.BENCH_LABEL_HISTORY ?? 100_000);
const RECENT = 10_000;
const RATE = Number(process.env.BENCH_LABELS_PER_SECOND ?? 1000);
const SECONDS = Number(process.env.BENCH_LABEL_SECONDS ?? 20);
/** Labels per commit: what one pipeline batch emits when the stream is this busy. */
const PER_COMMIT = 50;
/** Labels signed through the Labeler first (its own rate), then reused as history and for the fan-out. */
const SIGNED = 2_000;
const CID = 'bafyreib2rxk3rybk3aobmv5cjuql3bm2twh4jo5uxgf5mpqtzqutbuvyjy';
const now = () => performance.timeOrigin + performance.now();
const step = (what: string) => process.env.BENCH_VERBOSE && console.error(`[labels ${new Date().toISOString()}] ${what}`);

interface ClientReport {
  cursor: number | null;
  seqs: number[];
  arrivals: number[];
  labels: number;
  errors: string[];
}

const percentile = (sorted: Float64Array, p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export async function run(): Promise<Record<string, number | string>> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-bench-labels-'));
  const logger = pino({ level: 'silent' });
  const { db } = openDatabase(path.join(dataDir, 'skysift.sqlite'));
  const labeler = new Labeler({ identity: await resolveIdentity(loadConfig({ DATA_DIR: dataDir }), logger), db, dataDir, logger });
  const fleet = fork(new URL('./_label-subscribers.ts', import.meta.url), { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  try {
    // What the Labeler itself sustains: verdicts diffed, signed one by one, committed (before any subscriber).
    const verdict = (n: number): Verdict => ({ uri: `at://did:plc:bench${n % 997}/app.bsky.feed.post/${n}`, cid: CID, label: 'bench', manifestVersion: 'v1', matched: true, explanation: [] });
    const applyStarted = performance.now();
    for (let i = 0; i < SIGNED; i += PER_COMMIT) await labeler.apply(Array.from({ length: PER_COMMIT }, (_, j) => verdict(i + j)), [], new Map());
    step('applied');
    const applyRate = SIGNED / ((performance.now() - applyStarted) / 1000);
    const signed = await labeler.store.range(0, SIGNED);
    // History for the resuming subscribers to backfill: the signed labels again, as many times as needed.
    const store = new SqliteLabelStore(db);
    db.transaction(() => {
      for (let i = SIGNED; i < HISTORY; i += 500) store.append({ state: [], labels: Array.from({ length: Math.min(500, HISTORY - i) }, (_, j) => signed[(i + j) % SIGNED]!) });
    })();
    // Written at once, the history fills the WAL; checkpoint it now rather than in the first timed commit.
    db.pragma('wal_checkpoint(TRUNCATE)');
    step('history written');
    const url = (await labeler.start(0, '127.0.0.1')).replace('0.0.0.0', '127.0.0.1');
    const historyHead = await labeler.store.head();

    // Commit times: after each commit, the head it reached.
    const commits: { head: number; at: number }[] = [];
    labeler.store.onCommit(() => void labeler.store.head().then((head) => commits.push({ head, at: now() })));

    const cursors = Array.from({ length: SUBSCRIBERS }, (_, i) => (i === 0 ? 0 : i < RESUMING ? historyHead - Math.floor((i / RESUMING) * RECENT) : null));
    const connected = new Promise<void>((resolve) => fleet.once('message', () => resolve()));
    fleet.send({ url, cursors, fullDecoders: 10 });
    await connected;
    step('subscribers connected');

    // Commit at RATE for SECONDS on a fixed schedule (late commits are not made up for), labels signed
    // beforehand: signing is measured above; this is the fan-out.
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    let peakRss = 0;
    let peakHeap = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 250);
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    let emitted = 0;
    for (let tick = 0; performance.now() - started < SECONDS * 1000; tick++) {
      const due = started + (tick * PER_COMMIT * 1000) / RATE;
      // Behind schedule or not, a turn of the event loop between commits, as the pipeline's batches have.
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      await labeler.store.commit({ state: [], labels: Array.from({ length: PER_COMMIT }, (_, i) => signed[(emitted + i) % SIGNED]!) });
      emitted += PER_COMMIT;
    }
    step('emitted');
    const emitSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const finalHead = await labeler.store.head();
    // Let every subscriber reach the end (the resuming ones may still be catching up).
    const caughtUp = performance.now();
    const lastSeq = (db.prepare('SELECT seq FROM labels WHERE id = ?').pluck().get(finalHead) as number | undefined) ?? finalHead;
    for (const deadline = performance.now() + 120_000; performance.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      const progress = await new Promise<number>((resolve) => {
        fleet.once('message', (m: { behind?: number }) => resolve(m.behind ?? 0));
        fleet.send({ progress: lastSeq });
      });
      if (!progress) break;
    }
    step('caught up');
    clearInterval(sampler);
    loop.disable();
    const report = await new Promise<ClientReport[]>((resolve) => {
      fleet.on('message', (m: { report?: ClientReport[] }) => m.report && resolve(m.report));
      fleet.send({ report: true });
    });

    // Every event seq in the log, and when it was committed.
    const events = db.prepare('SELECT DISTINCT seq FROM labels ORDER BY seq').pluck().all() as number[];
    const committedAt = new Map<number, number>();
    let c = 0;
    for (const seq of events) {
      while (c < commits.length && commits[c]!.head < seq) c++;
      if (commits[c]) committedAt.set(seq, commits[c]!.at);
    }
    const labelsAfter = db.prepare('SELECT count(*) FROM labels WHERE seq > ?').pluck();
    const miscounted = report.filter((client) => client.labels > 0 && client.labels !== labelsAfter.get(client.cursor ?? historyHead)).length;
    let missing = 0;
    let repeated = 0;
    let incomplete = 0;
    const latencies: number[] = [];
    for (const client of report) {
      const from = client.cursor ?? historyHead;
      const expected = events.filter((seq) => seq > from);
      const got = new Set(client.seqs);
      repeated += client.seqs.length - got.size;
      const lost = expected.filter((seq) => !got.has(seq)).length;
      missing += lost;
      if (lost) incomplete++;
      if (client.cursor === null) client.seqs.forEach((seq, i) => committedAt.has(seq) && latencies.push(client.arrivals[i]! - committedAt.get(seq)!));
    }
    const sorted = Float64Array.from(latencies).sort();
    // Events sent while emitting (to live subscribers; the resuming ones also get history then).
    const delivered = report.reduce((n, client) => n + client.arrivals.filter((at) => at - performance.timeOrigin <= started + emitSeconds * 1000).length, 0);
    const errors = report.flatMap((r) => r.errors);
    return {
      subscribers: report.length,
      'resuming subscribers': RESUMING,
      'history labels': historyHead,
      'Labeler apply labels/s (sign + commit)': Math.round(applyRate),
      'labels committed': emitted,
      'labels/s committed': round(emitted / emitSeconds),
      'broadcast p50 ms': round(percentile(sorted, 0.5)),
      'broadcast p99 ms': round(percentile(sorted, 0.99)),
      'broadcast max ms': round(sorted[sorted.length - 1] ?? NaN),
      'subscribers missing labels': incomplete,
      'events missed': missing,
      'events repeated': repeated,
      'full decoders with a wrong label count': miscounted,
      'stream errors': errors.length ? [...new Set(errors)].join(', ') : 0,
      'server CPU s per s while emitting': round(cpuMs / 1000 / emitSeconds, 2),
      'server CPU µs per event sent': round((cpuMs * 1000) / delivered, 1),
      'server peak RSS MB': Math.round(peakRss / 2 ** 20),
      'server peak heap MB': Math.round(peakHeap / 2 ** 20),
      'server event-loop p99 ms': round(loop.percentile(99) / 1e6),
      'server event-loop max ms': round(loop.max / 1e6),
      'events in log': events.length,
      'labels in log': finalHead,
      'resuming caught up after s': round((performance.now() - caughtUp) / 1000),
    };
  } finally {
    fleet.kill();
    await labeler.close();
    db.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
