import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import cron, { type ScheduledTask } from 'node-cron';
import { databasePath, readSecret, redactConfig, type Config } from './config.ts';
import { startConsole, type RunningConsole } from './console/index.ts';
import type { JetstreamEvent } from './consolidate/index.ts';
import { healthReport } from './health.ts';
import { wantedCollections } from './ingest/collections.ts';
import { FeedSync } from './ingest/feeds.ts';
import { JetstreamSource, type Handled } from './ingest/jetstream.ts';
import { AccountLabels } from './label/account-labels.ts';
import { declaredSubjectTypes } from './label/declaration.ts';
import { resolveIdentity } from './label/identity.ts';
import { Labeler } from './label/index.ts';
import { openLabelStore } from './label/open-store.ts';
import type { Logger } from './log.ts';
import { ManifestWatcher } from './manifests/watch.ts';
import { Metrics } from './metrics.ts';
import { createReportRoute } from './moderation/create-report.ts';
import { ReportStore } from './moderation/reports.ts';
import { serviceAuthVerifier } from './moderation/service-auth.ts';
import type { EmitSummary } from './label/index.ts';
import { createPipeline } from './pipeline.ts';
import { warmUp } from './warm-up.ts';
import { openServices } from './services/index.ts';
import { AccountWindowStore } from './store/account-windows.ts';
import { openDatabase } from './store/database.ts';
import { KeyValueStore } from './store/kv.ts';
import { PostStore } from './store/posts.ts';
import { schedulePostRetention } from './store/retention.ts';

export interface Service {
  /** Where the labeler serves `subscribeLabels` and `queryLabels`. */
  address: string;
  source: JetstreamSource;
  feeds: FeedSync;
  /** Ages the account windows now (what the ACCOUNT_SWEEP_CRON job runs), in turn with the stream. */
  sweepAccounts(): Promise<EmitSummary>;
  metrics: Metrics;
  /** The operator console, when CONSOLE_TOKEN (or its file) is set. */
  console?: RunningConsole;
  /** The node-cron jobs: post retention, the account window sweep, feed sync. */
  jobs: ScheduledTask[];
  stop(): Promise<void>;
}

export interface StageOptions {
  /** Keep account windows (account labels aggregated from posts) in this process's SQLite; off for cluster workers. */
  accountWindows?: boolean;
  /** The clock account windows are measured against (ms); tests move it forward to age posts out. */
  now?: () => number;
  /** The cluster role these stages serve: it labels their metrics. */
  role?: string;
}

/** The stages behind any event source: storage, live manifests, the labeler, and the pipeline over them. */
export async function openStages(config: Config, logger: Logger, { accountWindows = true, now, role }: StageOptions = {}) {
  const dbFile = databasePath(config);
  const { db, applied } = openDatabase(dbFile);
  logger.info({ dataDir: path.resolve(config.DATA_DIR), database: dbFile, migrationsApplied: applied }, 'storage ready');
  const metrics = new Metrics(role);
  const services = await openServices({ config, logger, db, registry: metrics.registry }, { startThreads: true });
  const manifests = new ManifestWatcher(config.MANIFESTS_DIR, logger, { services: services.compile });
  manifests.on('problems', (problems) => metrics.manifestErrors.inc(problems.length));
  // Capabilities let go of what only replaced, removed or rejected manifests used (e.g. membership sets).
  manifests.on('reloaded', (current) => services.retain(current));
  await manifests.start();
  const identity = await resolveIdentity(config, logger);
  const labelStore = await openLabelStore(config, db, logger);
  const labeler = new Labeler({ identity, db, store: labelStore.store, dataDir: config.DATA_DIR, logger, metrics, signingThreads: config.SIGNING_THREADS });
  const posts = new PostStore(db);
  const accounts = accountWindows ? new AccountLabels(new AccountWindowStore(db), now) : undefined;
  const pipeline = createPipeline({ labeler, manifests: () => manifests.current(), services, store: posts, accounts, logger, metrics });
  const reports = new ReportStore(db);
  metrics.countReports(() => reports.counts());
  /** createReport, on the labeler's server: reports and appeals in, verified against the reporter's DID. */
  const moderationRoutes = (app: FastifyInstance) =>
    createReportRoute(app, {
      // What the declaration publishes: account reports are taken while an account manifest is loaded.
      policy: {
        ...config,
        get LABELER_SUBJECT_TYPES() {
          return declaredSubjectTypes(manifests.current(), config);
        },
      },
      reports,
      labels: labeler.store,
      verify: serviceAuthVerifier({ labelerDid: identity.did, plcUrl: config.LABELER_PLC_URL }),
      logger,
      metrics,
    });
  return {
    reports,
    moderationRoutes,
    db,
    services,
    metrics,
    manifests,
    identity,
    labeler,
    posts,
    pipeline,
    async close() {
      manifests.stop();
      await labeler.close();
      await labelStore.close();
      await services.close();
      db.close();
    },
  };
}

/** The Jetstream reader of the stages' manifests (their collections, followed as they change), its cursor in the stages' database. */
export function jetstreamSource(config: Config, { db, metrics, manifests }: Awaited<ReturnType<typeof openStages>>, logger: Logger, handle: (events: JetstreamEvent[]) => Promise<Handled>): JetstreamSource {
  const source = new JetstreamSource({
    endpoint: config.JETSTREAM_URL,
    wantedCollections: wantedCollections(manifests.current()),
    kv: new KeyValueStore(db),
    logger,
    metrics,
    rewindSeconds: config.JETSTREAM_REWIND_SECONDS,
    queueMax: config.JETSTREAM_QUEUE_MAX,
    maxMessageBytes: config.JETSTREAM_MAX_MESSAGE_BYTES,
    handle,
  });
  manifests.on('change', (next) => source.setWantedCollections(wantedCollections(next)));
  return source;
}

/** Starts the labeler: storage, manifests, the label server, then the stream. */
export async function startService(config: Config, logger: Logger, options: StageOptions = {}): Promise<Service> {
  logger.info({ config: redactConfig(config) }, 'starting skysift');
  const stages = await openStages(config, logger, options);
  const { db, metrics, manifests, identity, labeler, posts, pipeline } = stages;
  // The firehose and feed syncs share one pipeline; one batch at a time keeps labelling decisions ordered.
  let turn: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(work: () => Promise<T>): Promise<T> => {
    const result = turn.then(work);
    turn = result.catch(() => undefined);
    return result;
  };
  // Only deciding takes the turn: the stream's next batch is evaluated while this one is signed and committed.
  const source = jetstreamSource(config, stages, logger, (events) => inTurn(() => pipeline.decide(events)));
  const feeds = new FeedSync({
    feeds: config.FEEDS,
    appviewUrl: config.APPVIEW_URL,
    limit: config.FEED_SYNC_LIMIT,
    process: (synced) => inTurn(() => pipeline.posts(synced, [])),
    logger,
    metrics,
  });
  const health = () => healthReport({ db, source, manifests: () => manifests.current().length, metrics });
  const routes = (app: FastifyInstance) => {
    stages.moderationRoutes(app);
    app.get('/health', async (_req, reply) => {
      const report = health();
      // Without Jetstream the labeler still serves its labels: degraded, not down.
      await reply.status(report.database === 'ok' ? 200 : 503).send(report);
    });
    app.get('/metrics', async (_req, reply) => {
      health();
      await reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  };
  const address = await labeler.start(config.LABELER_PORT, config.LABELER_HOST, routes).catch(async (error: unknown) => {
    await stages.close();
    throw error;
  });
  logger.info({ address, did: identity.did }, 'labeler serving subscribeLabels, queryLabels, createReport, /health and /metrics');
  const operatorConsole = await openConsole(config, stages, health, logger).catch(async (error: unknown) => {
    await stages.close();
    throw error;
  });
  await warmUp({ manifests: manifests.current(), services: stages.services, labeler, logger });
  source.start();
  const sweepAccounts = () => inTurn(() => pipeline.sweepAccounts());
  const jobs = [
    schedulePostRetention(posts, config.POST_RETENTION_DAYS, logger),
    cron.schedule(
      config.ACCOUNT_SWEEP_CRON,
      () =>
        sweepAccounts().then(
          ({ labelled, negated }) => logger.info({ labelled: labelled.length, negated: negated.length }, 'account windows swept'),
          (error: unknown) => logger.error({ err: error }, 'account window sweep failed; the next one retries'),
        ),
      { name: 'account-sweep', noOverlap: true },
    ),
    ...(config.FEEDS.length ? [feeds.schedule(config.FEED_SYNC_CRON)] : []),
  ];

  return {
    address,
    source,
    feeds,
    sweepAccounts,
    metrics,
    ...(operatorConsole && { console: operatorConsole }),
    jobs,
    async stop() {
      await Promise.all(jobs.map((job) => job.destroy()));
      await operatorConsole?.close();
      await source.stop();
      await stages.close();
      logger.info('stopped');
    },
  };
}

/**
 * The operator console, on a port of its own (CONSOLE_PORT, loopback unless CONSOLE_HOST says otherwise):
 * the labeler's port is public, and the console must stay private even when that one is proxied to the world.
 */
async function openConsole(config: Config, stages: Awaited<ReturnType<typeof openStages>>, health: () => unknown, logger: Logger): Promise<RunningConsole | undefined> {
  const token = readSecret(config, 'CONSOLE_TOKEN');
  if (!token) return undefined;
  if (token.length < 16) throw new Error(`CONSOLE_TOKEN_FILE ${config.CONSOLE_TOKEN_FILE}: the token must be at least 16 characters (e.g. openssl rand -hex 24)`);
  const { manifests, services, labeler, posts, reports, metrics } = stages;
  const running = await startConsole({ token, port: config.CONSOLE_PORT, host: config.CONSOLE_HOST, manifestsDir: config.MANIFESTS_DIR, manifests, services, labeler, posts, reports, metrics, health, logger });
  logger.info({ url: running.url }, 'operator console serving (log in with CONSOLE_TOKEN)');
  return running;
}
