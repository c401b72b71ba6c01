/**
 * The service's stages over ≥ 200,000 recorded Jetstream events, each stage adding one part of the real
 * path: (1) JSON parse — the ceiling, (2) + consolidation, (3) + 20, 200 or 1,000 rule manifests
 * decided (test/support/rule-manifests.ts), (4) + label emission through the Labeler (sign, commit,
 * broadcast) with a subscriber attached (the service's pipeline function: explanations for the labels it emits),
 * (5) + the shipped manifests and their models (the political classifier). Then the service itself as
 * a child process with 50 manifests (with the shipped ones, then rules only), fed by a loopback Jetstream at ~1,000 events/s: latency from an
 * event leaving Jetstream to its label arriving on a subscribeLabels socket, the service's peak RSS, how long its
 * main thread was held (event-loop delay) and how long a batch took. `BENCH_PIPELINE=live` runs the live stages alone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { consolidateJetstreamEvent, type ConsolidatedPost } from '../src/consolidate/index.ts';
import { decideBatch, evaluationPlan } from '../src/evaluate/index.ts';
import { openStages, type StageOptions } from '../src/service.ts';
import { freePort } from '../test/support/capture.ts';
import { spawnCli, stopCli } from '../test/support/cli.ts';
import { JetstreamReplayServer } from '../test/support/jetstream-server.ts';
import { LabelSubscriber } from '../test/support/label-verifier.ts';
import { postUriOf, recordedEvents, type JetstreamEvent } from './_events.ts';
import { compiledRuleManifests, ruleManifests } from './_manifests.ts';
import { loadAverage, measure, rates, type Measured } from './_measure.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const BATCH = 256;
const SHIPPED_MANIFESTS = 'manifests';
const logger = pino({ level: 'silent' });

/** Processes one batch of raw frames; returns the labels it emitted. */
type Stage = (frames: readonly string[]) => Promise<number>;

/** The posts of a batch of frames, as the service's pipeline collects them. */
function consolidated(frames: readonly string[]): ConsolidatedPost[] {
  const posts: ConsolidatedPost[] = [];
  for (const frame of frames) {
    const result = consolidateJetstreamEvent(JSON.parse(frame));
    if (result.kind === 'post') posts.push(result.post);
  }
  return posts;
}

/**
 * The posts among the frames, counted batch by batch: holding every post of the run at once, which the
 * service never does, makes V8 allocate what consolidation builds straight in the old generation
 * (allocation-site pretenuring) for the rest of the process, and the stages measured after it would pay
 * for that in garbage collection.
 */
function countPosts(frames: readonly string[]): number {
  let posts = 0;
  for (let i = 0; i < frames.length; i += BATCH) posts += consolidated(frames.slice(i, i + BATCH)).length;
  return posts;
}

async function time(frames: readonly string[], stage: Stage): Promise<{ measured: Measured; labels: number }> {
  let labels = 0;
  const measured = await measure(async () => {
    for (let i = 0; i < frames.length; i += BATCH) {
      labels += await stage(frames.slice(i, i + BATCH));
      // As the service's loop does between batches: let sockets (the subscriber) be served.
      await new Promise(setImmediate);
    }
  });
  return { measured, labels };
}

/** A manifests directory: `rules` rule manifests, plus the shipped ones when asked. */
function manifestsDir(dir: string, rules: number, withShipped: boolean): string {
  fs.mkdirSync(dir, { recursive: true });
  if (withShipped) for (const file of fs.readdirSync(SHIPPED_MANIFESTS).filter((f) => f.endsWith('.json'))) fs.copyFileSync(path.join(SHIPPED_MANIFESTS, file), path.join(dir, file));
  ruleManifests(rules).forEach((m, i) => fs.writeFileSync(path.join(dir, `rule-${i}.json`), JSON.stringify(m)));
  return dir;
}

/** The service's stages (openStages) on a fresh data directory: a serving labeler with one subscriber counting the broadcast. */
async function pipelineStage(dataDir: string, manifests: string, options: StageOptions = {}) {
  const stages = await openStages(loadConfig({ DATA_DIR: dataDir, MANIFESTS_DIR: manifests }), logger, options);
  const subscriber = new LabelSubscriber((await stages.labeler.start(0, '127.0.0.1')).replace('0.0.0.0', '127.0.0.1'));
  await subscriber.opened();
  const stage: Stage = async (frames) => {
    const summary = await stages.pipeline(frames.map((f) => JSON.parse(f)));
    return summary.labelled.length + summary.negated.length;
  };
  return {
    labels: stages.manifests.current().map((m) => m.label.value),
    stage,
    subscriber,
    db: stages.db,
    activeAccountLabels: () => stages.labeler.store.activeOutside(new Set()).then((rows) => rows.filter((r) => r.uri.startsWith('did:'))),
    async close() {
      subscriber.close();
      await stages.close();
    },
  };
}

/** Account manifests that aggregate posts (docs/account-labels.md), added to the rules for stage 4a: every post updates their windows. */
const ACCOUNT_MANIFESTS = {
  'account-mostly-english.json': { label: { value: 'mostly-english' }, subject: 'account', aggregate: { minPosts: 3, share: 0.8, windowDays: 30 }, filter: { attribute_compare: ['langs[0]', '==', 'en'] } },
  'account-chatty.json': { label: { value: 'chatty' }, subject: 'account', aggregate: { minPosts: 5, share: 0.5, windowDays: 7 }, filter: { regex_any: ['text', ['the', 'and', 'you']] } },
};

/** Peak resident set of a process, from the kernel's high-water mark. */
function peakRssMb(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round(Number(kb) / 1024);
}

const STARTUP_MS = 1_000;

/** A metric's value in Prometheus text (the first sample of that name). */
const metricValue = (text: string, name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);

/** The service with 50 manifests (the shipped ones and rules, or rules only: the latency bar's case), its measurements named `name …`. */
async function liveService(dataDir: string, withShipped: boolean, name: string): Promise<Record<string, number>> {
  const shipped = withShipped ? fs.readdirSync(SHIPPED_MANIFESTS).filter((f) => f.endsWith('.json')).length : 0;
  const manifests = manifestsDir(path.join(dataDir, 'manifests'), 50 - shipped, withShipped);
  const events = recordedEvents(12_000);
  const server = await JetstreamReplayServer.serveEvents(events);
  // About 1,000 events/s: several times the live network's post rate.
  server.pace = { every: 10, ms: 10 };
  const sent = new Map<string, number>();
  server.onSent = (event) => {
    const e = event as JetstreamEvent;
    if (e.commit?.operation === 'create') sent.set(postUriOf(e), performance.now());
  };
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawnCli(['start'], { DATA_DIR: dataDir, MANIFESTS_DIR: manifests, LABELER_PORT: String(port), JETSTREAM_URL: server.url, LOG_LEVEL: 'warn' });
  try {
    const health = async () =>
      (await fetch(`${base}/health`)
        .then((r) => r.json())
        .catch(() => undefined)) as { jetstream: { cursor: number }; manifests: number } | undefined;
    let report = await health();
    for (const deadline = Date.now() + 60_000; !report && Date.now() < deadline; report = await health()) await new Promise((r) => setTimeout(r, 50));
    const subscriber = new LabelSubscriber(base, 0);
    await subscriber.opened();
    // Labels of events sent before the subscription opened arrive as backfill, not live: they are not latency.
    const liveFrom = performance.now();
    const last = events[events.length - 1]!.time_us;
    while ((report = await health()) && report.jetstream.cursor < last) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
    const metrics = await (await fetch(`${base}/metrics`)).text();
    subscriber.close();
    const timed = subscriber.labels.flatMap((label, i) => {
      const at = sent.get(label.uri);
      return at === undefined || at < liveFrom ? [] : [{ at: at - liveFrom, delay: subscriber.arrivals[i]! - at }];
    });
    /** The first second still drains what queued while the service started (JIT-cold): reported apart from the steady state. */
    const steady = timed.filter((t) => t.at >= STARTUP_MS);
    const quantile = (list: { delay: number }[], q: number) => {
      const delays = list.map((t) => t.delay).sort((a, b) => a - b);
      return Math.round(delays[Math.min(delays.length - 1, Math.floor(q * delays.length))]! * 10) / 10;
    };
    return {
      [`${name} manifests`]: report?.manifests ?? 0,
      [`${name} labels measured`]: timed.length,
      [`${name} latency event→label p50 ms`]: quantile(timed, 0.5),
      [`${name} latency event→label p99 ms`]: quantile(timed, 0.99),
      [`${name} labels after the first second`]: steady.length,
      [`${name} latency after the first second p50 ms`]: quantile(steady, 0.5),
      [`${name} latency after the first second p99 ms`]: quantile(steady, 0.99),
      [`${name} service peak RSS MB`]: peakRssMb(child.pid!),
      // How long the service's main thread was held at a time (prom-client's monitorEventLoopDelay, since start).
      [`${name} service event-loop delay p99 ms`]: Math.round(metricValue(metrics, 'skysift_nodejs_eventloop_lag_p99_seconds') * 10_000) / 10,
      [`${name} service event-loop delay max ms`]: Math.round(metricValue(metrics, 'skysift_nodejs_eventloop_lag_max_seconds') * 10_000) / 10,
      [`${name} service ms per batch`]: Math.round((metricValue(metrics, 'skysift_evaluation_seconds_sum') / metricValue(metrics, 'skysift_evaluation_seconds_count')) * 10_000) / 10,
    };
  } finally {
    await stopCli(child);
    await server.close();
  }
}

export async function run(): Promise<Record<string, number | string>> {
  if (process.env.BENCH_PIPELINE === 'live') return live();
  const frames = recordedEvents(EVENTS).map((e) => JSON.stringify(e));
  const posts = countPosts(frames);
  const rules = await compiledRuleManifests();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-bench-'));
  const out: Record<string, number | string> = { events: frames.length, 'posts among them': posts, 'load average at start': loadAverage() };
  let ceiling = Infinity;
  const report = async (name: string, stage: Stage) => {
    const { measured, labels } = await time(frames, stage);
    const eventsPerSecond = frames.length / measured.seconds;
    if (ceiling === Infinity) ceiling = eventsPerSecond;
    out[`${name} events/s`] = Math.round(eventsPerSecond);
    Object.assign(out, rates(measured, posts, name));
    out[`${name} ratio to ceiling`] = Math.round((eventsPerSecond / ceiling) * 1000) / 1000;
    if (labels) out[`${name} labels/s`] = Math.round(labels / measured.seconds);
    return labels;
  };
  try {
    await report('1 parse', async (batch) => (batch.forEach((f) => JSON.parse(f)), 0));
    await report('2 +consolidate', async (batch) => (consolidated(batch), 0));
    for (const count of [20, 200, 1000]) {
      const manifests = count === rules.length ? rules : await compiledRuleManifests(count);
      // Built before timing, as the service builds it when manifests load.
      evaluationPlan(manifests);
      await report(`3 +${count} rules`, async (batch) => (await decideBatch(consolidated(batch), manifests), 0));
    }

    const labelling = await pipelineStage(path.join(workDir, 'stage4'), manifestsDir(path.join(workDir, 'rules'), rules.length, false));
    const labels = await report('4 +labels', labelling.stage);
    await labelling.subscriber.waitFor(labels, 60_000);
    out['4 labels broadcast'] = labelling.subscriber.labels.length;
    await labelling.close();

    const accountsDir = manifestsDir(path.join(workDir, 'rules-and-accounts'), rules.length, false);
    for (const [file, body] of Object.entries(ACCOUNT_MANIFESTS)) fs.writeFileSync(path.join(accountsDir, file), JSON.stringify(body));
    // The windows are measured against the recorded events' own clock, so that every post counts.
    const lastEventMs = JSON.parse(frames[frames.length - 1]!).time_us / 1000;
    const accounts = await pipelineStage(path.join(workDir, 'stage4a'), accountsDir, { now: () => lastEventMs });
    await report('4a +2 account aggregates', accounts.stage);
    out['4a account windows rows'] = Number(accounts.db.prepare('SELECT count(*) FROM account_window_posts').pluck().get());
    out['4a account labels active'] = (await accounts.activeAccountLabels()).length;
    await accounts.close();

    const withModels = await pipelineStage(path.join(workDir, 'stage5'), manifestsDir(path.join(workDir, 'rules-and-shipped'), rules.length, true));
    out['5 manifests (20 rules + shipped)'] = withModels.labels.length;
    await report('5 +shipped', withModels.stage);
    await withModels.close();

    return { ...out, ...(await live(workDir)) };
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/** The live stages alone (`BENCH_PIPELINE=live npm run bench -- pipeline`): the service with the shipped manifests, then rules only. */
async function live(workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-bench-'))): Promise<Record<string, number>> {
  try {
    const out: Record<string, number> = { 'live load average at start': loadAverage() };
    Object.assign(out, await liveService(path.join(workDir, 'live'), true, 'live'));
    Object.assign(out, await liveService(path.join(workDir, 'live-rules'), false, 'live rule-only'));
    out['load average at end'] = loadAverage();
    return out;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
