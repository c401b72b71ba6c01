import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { databasePath, redactConfig, type Config } from './config.ts';
import { POST_COLLECTION } from './consolidate/index.ts';
import { JetstreamSource } from './ingest/jetstream.ts';
import { resolveIdentity } from './label/identity.ts';
import { Labeler } from './label/index.ts';
import type { Logger } from './log.ts';
import { ManifestWatcher } from './manifests/watch.ts';
import { Metrics } from './metrics.ts';
import { createPipeline } from './pipeline.ts';
import { openServices } from './services/index.ts';
import { openDatabase } from './store/database.ts';
import { KeyValueStore } from './store/kv.ts';
import { PostStore } from './store/posts.ts';

export interface Service {
  /** Where the labeler serves `subscribeLabels` and `queryLabels`. */
  address: string;
  source: JetstreamSource;
  stop(): Promise<void>;
}

/** The stages behind any event source: storage, live manifests, the labeler, and the pipeline over them. */
export async function openStages(config: Config, logger: Logger) {
  const dbFile = databasePath(config);
  const { db, applied } = openDatabase(dbFile);
  logger.info({ dataDir: path.resolve(config.DATA_DIR), database: dbFile, migrationsApplied: applied }, 'storage ready');
  const metrics = new Metrics();
  const services = await openServices({ config, logger, db });
  const manifests = new ManifestWatcher(config.MANIFESTS_DIR, logger, { services: services.compile });
  manifests.on('problems', (problems) => metrics.manifestErrors.inc(problems.length));
  await manifests.start();
  const identity = await resolveIdentity(config, logger);
  const labeler = new Labeler({ identity, db, dataDir: config.DATA_DIR, logger });
  const posts = new PostStore(db);
  const pipeline = createPipeline({ labeler, manifests: () => manifests.current(), services, store: posts, logger, metrics });
  return {
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
      await services.close();
      db.close();
    },
  };
}

/** Starts the labeler: storage, manifests, the label server, then the stream. */
export async function startService(config: Config, logger: Logger): Promise<Service> {
  logger.info({ config: redactConfig(config) }, 'starting skysift');
  const stages = await openStages(config, logger);
  const { db, metrics, manifests, identity, labeler, pipeline } = stages;
  const source = new JetstreamSource({
    endpoint: config.JETSTREAM_URL,
    wantedCollections: [POST_COLLECTION],
    kv: new KeyValueStore(db),
    logger,
    metrics,
    rewindSeconds: config.JETSTREAM_REWIND_SECONDS,
    handle: async (events) => {
      await pipeline(events);
    },
  });
  const health = () => {
    const lagSeconds = source.cursor ? Math.max(0, Date.now() / 1000 - source.cursor / 1_000_000) : null;
    metrics.queueDepth.set(source.queued);
    metrics.jetstreamConnected.set(source.connected ? 1 : 0);
    if (lagSeconds !== null) metrics.cursorLagSeconds.set(lagSeconds);
    let database = 'ok';
    try {
      db.prepare('SELECT 1').get();
    } catch (error) {
      database = (error as Error).message;
    }
    return { database, jetstream: { connected: source.connected, cursor: source.cursor, lagSeconds, queued: source.queued }, manifests: manifests.current().length };
  };
  const routes = (app: FastifyInstance) => {
    app.get('/health', async (_req, reply) => {
      const report = health();
      await reply.status(report.database === 'ok' ? 200 : 503).send({ status: report.database === 'ok' && report.jetstream.connected ? 'ok' : 'degraded', ...report });
    });
    app.get('/metrics', async (_req, reply) => {
      health();
      await reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  };
  const address = await labeler.start(config.LABELER_PORT, '0.0.0.0', routes);
  logger.info({ address, did: identity.did }, 'labeler serving subscribeLabels, queryLabels, /health and /metrics');
  source.start();

  return {
    address,
    source,
    async stop() {
      await source.stop();
      await stages.close();
      logger.info('stopped');
    },
  };
}
