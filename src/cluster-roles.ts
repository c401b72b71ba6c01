import fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { healthReport } from './health.ts';
import { consumePartition, EVENTS_STREAM, openNatsEvents, publishEvents, type StreamEvent } from './ingest/nats-events.ts';
import type { JetstreamSource } from './ingest/jetstream.ts';
import type { EmitSummary } from './label/index.ts';
import type { LabelStore } from './label/store.ts';
import type { Logger } from './log.ts';
import type { CompiledManifest } from './manifests/load.ts';
import type { Metrics } from './metrics.ts';
import type { Pipeline } from './pipeline.ts';
import { jetstreamSource, openStages } from './service.ts';
import { warmUp } from './warm-up.ts';
import { holdPartitionLeases } from './store/partition-leases.ts';
import { schedulePostRetention } from './store/retention.ts';

const natsSettings = (config: Config) => ({ servers: config.NATS_URL, partitions: config.NATS_PARTITIONS, replicas: config.NATS_STREAM_REPLICAS });

export interface Role {
  /** Where the role serves `/health` and `/metrics` (LABELER_PORT). */
  address: string;
  stop(): Promise<void>;
}

/**
 * `/health` and `/metrics` of a role that serves no labels, on LABELER_PORT: what a supervisor and
 * Prometheus scrape. `health` answers the body; `ok: false` makes it a 503.
 */
async function serveOperations(
  config: Config,
  metrics: Metrics,
  health: () => Promise<{ ok: boolean } & Record<string, unknown>>,
): Promise<{ address: string; close: () => Promise<void> }> {
  const app = fastify();
  app.get('/health', async (_req, reply) => {
    const { ok, ...report } = await health();
    await reply.status(ok ? 200 : 503).send(report);
  });
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  const address = await app.listen({ port: config.LABELER_PORT, host: config.LABELER_HOST });
  return { address, close: () => app.close() };
}

/**
 * `skysift start --role ingest`: reads Jetstream and publishes each event to NATS JetStream
 * (`ev.<partition>.<did>`, message ID = a hash of its content), moving its cursor only past events the
 * stream has stored. Two readers may run for availability: the stream keeps one copy of each event.
 */
export async function startIngestRole(config: Config, logger: Logger): Promise<Role & { source: JetstreamSource }> {
  const stages = await openStages(config, logger, { role: 'ingest' });
  const { metrics, db, manifests } = stages;
  const events = await openNatsEvents(natsSettings(config)).catch(async (error: unknown) => {
    await stages.close();
    throw error;
  });
  const source = jetstreamSource(config, stages, logger, async (batch) => {
    const { duplicates } = await publishEvents(events, batch);
    metrics.natsPublished.inc(batch.length);
    metrics.natsDuplicates.inc(duplicates);
  });
  const health = async () => {
    const report = healthReport({ db, source, manifests: () => manifests.current().length, metrics });
    return { ...report, role: 'ingest', ok: report.database === 'ok' };
  };
  const server = await serveOperations(config, metrics, health).catch(async (error: unknown) => {
    await events.close();
    await stages.close();
    throw error;
  });
  source.start();
  logger.info({ nats: config.NATS_URL, partitions: config.NATS_PARTITIONS, address: server.address }, 'ingest: publishing Jetstream events to NATS; /health and /metrics served');
  return {
    source,
    address: server.address,
    async stop() {
      await source.stop();
      await server.close();
      await events.close();
      await stages.close();
    },
  };
}

/** A role that cannot run what it was given: the operator's to fix, said in one line. */
export class RoleRefused extends Error {
  override name = 'RoleRefused';
}

const accountWindowsRefusal = (files: readonly string[]) =>
  `account labels aggregated from posts (${files.join(', ')}) keep per-author windows in one process's SQLite, which cluster workers do not share`;

/** A partition's cursor in the label store: the last stream sequence whose labels are committed. */
export const partitionCursor = (partition: number) => `nats:${EVENTS_STREAM}:p${partition}`;

/**
 * Applies a partition's batches through the pipeline, each committed with the partition's cursor (the
 * stream sequence of its last event). Events at or below the cursor were applied before (a batch
 * delivered again): they are skipped. `position` reads the cursor from the store, as after a restart.
 */
export function partitionCursors(pipeline: Pipeline, store: LabelStore, logger: Logger, metrics?: Metrics) {
  const applied = new Map<number, number>();
  return {
    async position(partition: number): Promise<number> {
      const at = await store.cursor(partitionCursor(partition));
      applied.set(partition, at);
      return at;
    },
    async apply(partition: number, batch: readonly StreamEvent[]): Promise<EmitSummary> {
      const from = applied.get(partition) ?? (await this.position(partition));
      const fresh = batch.filter((e) => e.seq > from);
      if (fresh.length < batch.length) {
        metrics?.workerRedelivered.inc({ partition }, batch.length - fresh.length);
        logger.info({ partition, redelivered: batch.length - fresh.length, cursor: from }, 'worker: skipped events already applied');
      }
      if (!fresh.length) return { labelled: [], negated: [] };
      const to = fresh[fresh.length - 1]!.seq;
      const summary = await pipeline(
        fresh.map((e) => e.event),
        { name: partitionCursor(partition), from, to },
      );
      applied.set(partition, to);
      return summary;
    },
  };
}

/**
 * `skysift start --role worker`: evaluates and labels the events of its partitions (WORKER_PARTITIONS)
 * from NATS. Each batch's labels, label state and the partition's cursor are committed in one PostgreSQL
 * transaction, and only then is the batch acknowledged; a batch delivered again (its acknowledgement
 * lost in a crash) is at or below the cursor and is skipped, so it changes nothing. A commit whose
 * cursor moved under it (a second worker on the partition) is refused whole, and the partition is read
 * again from the stored cursor. A partition is read only under its lease in PostgreSQL
 * (`store/partition-leases.ts`): with WORKER_STANDBY, the partitions of a worker that is gone are taken
 * over from their cursors and handed back when it returns.
 */
export async function startWorkerRole(config: Config & { DATABASE_URL: string }, logger: Logger): Promise<Role> {
  const partitions = config.WORKER_PARTITIONS ?? Array.from({ length: config.NATS_PARTITIONS }, (_, i) => i);
  const outside = partitions.filter((p) => p >= config.NATS_PARTITIONS);
  if (outside.length) throw new RoleRefused(`WORKER_PARTITIONS ${outside.join(', ')} not below NATS_PARTITIONS (${config.NATS_PARTITIONS}): partitions are numbered from 0; give every process the same NATS_PARTITIONS and each worker partitions below it`);
  const stages = await openStages(config, logger, { accountWindows: false, role: 'worker' });
  const aggregating = (manifests: readonly CompiledManifest[]) => manifests.filter((m) => m.subject.kind === 'account-posts').map((m) => m.file);
  if (aggregating(stages.manifests.current()).length) {
    await stages.close();
    throw new RoleRefused(`${accountWindowsRefusal(aggregating(stages.manifests.current()))}; run them with \`skysift start\` (one process), or move them out of MANIFESTS_DIR`);
  }
  // A reload cannot stop a running worker: it says which manifests it leaves out.
  stages.manifests.on('change', (next) => {
    const files = aggregating(next);
    if (files.length) logger.error({ manifests: files }, `${accountWindowsRefusal(files)}: they are not run by this worker`);
  });
  const { labeler, pipeline, metrics, posts } = stages;
  const events = await openNatsEvents(natsSettings(config)).catch(async (error: unknown) => {
    await stages.close();
    throw error;
  });
  let stopping = false;
  // One batch at a time in this process, whatever its partition: the labeler decides against settled state.
  let turn: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(work: () => Promise<T>) => {
    const result = turn.then(work);
    turn = result.catch(() => undefined);
    return result;
  };
  const cursors = partitionCursors(pipeline, labeler.store, logger, metrics);
  // The partitions read now, each until its lease is handed back or lost, or the worker stops.
  const reading = new Map<number, { stop: boolean; done: Promise<void> }>();
  const read = (partition: number) => {
    const loop = { stop: false, done: Promise.resolve() };
    loop.done = consumePartition(events, {
      partition,
      position: () => cursors.position(partition),
      handle: (batch, pending) =>
        inTurn(async () => {
          await cursors.apply(partition, batch);
          metrics.workerBatches.inc({ partition });
          metrics.workerLag.set({ partition }, pending);
        }),
      failed: (error) => {
        metrics.workerFailures.inc({ partition });
        logger.error({ err: error, partition }, 'worker: reading or applying a batch failed; reading the partition again from its cursor');
      },
      stopped: () => stopping || loop.stop,
    });
    reading.set(partition, loop);
    metrics.workerPartitionHeld.set({ partition }, 1);
  };
  const health = async () => {
    const database = await labeler.store.head().then(
      () => 'ok',
      (error: Error) => error.message,
    );
    return { ok: database === 'ok', status: database === 'ok' ? 'ok' : 'degraded', role: 'worker', database, partitions: [...reading.keys()].sort((a, b) => a - b), own: partitions, nats: events.connection.isClosed() ? 'closed' : 'ok' };
  };
  const server = await serveOperations(config, metrics, health).catch(async (error: unknown) => {
    await events.close();
    await stages.close();
    throw error;
  });
  await warmUp({ manifests: stages.manifests.current(), services: stages.services, labeler, logger });
  const leases = holdPartitionLeases({
    url: config.DATABASE_URL,
    partitions: config.NATS_PARTITIONS,
    own: partitions,
    standby: config.WORKER_STANDBY,
    acquired: read,
    async release(partition) {
      const loop = reading.get(partition);
      reading.delete(partition);
      metrics.workerPartitionHeld.set({ partition }, 0);
      if (!loop) return;
      loop.stop = true;
      await loop.done;
    },
    logger,
  });
  // A worker keeps only its partitions' posts, pruned as the single-process service prunes its own.
  const retention = schedulePostRetention(posts, config.POST_RETENTION_DAYS, logger);
  logger.info({ partitions, address: server.address }, 'worker: evaluating and labelling events from NATS; /health and /metrics served');
  return {
    address: server.address,
    async stop() {
      stopping = true;
      await retention.destroy();
      await leases.close();
      await server.close();
      await events.close();
      await stages.close();
    },
  };
}
