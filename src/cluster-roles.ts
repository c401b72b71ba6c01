import type { Config } from './config.ts';
import { consumePartition, EVENTS_STREAM, openNatsEvents, publishEvents, type StreamEvent } from './ingest/nats-events.ts';
import type { JetstreamSource } from './ingest/jetstream.ts';
import type { EmitSummary } from './label/index.ts';
import type { LabelStore } from './label/store.ts';
import type { Logger } from './log.ts';
import type { Pipeline } from './pipeline.ts';
import { jetstreamSource, openStages } from './service.ts';

const natsSettings = (config: Config) => ({ servers: config.NATS_URL, partitions: config.NATS_PARTITIONS, replicas: config.NATS_STREAM_REPLICAS });

export interface Role {
  stop(): Promise<void>;
}

/**
 * `skysift start --role ingest`: reads Jetstream and publishes each event to NATS JetStream
 * (`ev.<partition>.<did>`, message ID = a hash of its content), moving its cursor only past events the
 * stream has stored. Two readers may run for availability: the stream keeps one copy of each event.
 */
export async function startIngestRole(config: Config, logger: Logger): Promise<Role & { source: JetstreamSource }> {
  const stages = await openStages(config, logger);
  const events = await openNatsEvents(natsSettings(config)).catch(async (error: unknown) => {
    await stages.close();
    throw error;
  });
  const source = jetstreamSource(config, stages, logger, (batch) => publishEvents(events, batch));
  source.start();
  logger.info({ nats: config.NATS_URL, partitions: config.NATS_PARTITIONS }, 'ingest: publishing Jetstream events to NATS');
  return {
    source,
    async stop() {
      await source.stop();
      await events.close();
      await stages.close();
    },
  };
}

/** A partition's cursor in the label store: the last stream sequence whose labels are committed. */
export const partitionCursor = (partition: number) => `nats:${EVENTS_STREAM}:p${partition}`;

/**
 * Applies a partition's batches through the pipeline, each committed with the partition's cursor (the
 * stream sequence of its last event). Events at or below the cursor were applied before (a batch
 * delivered again): they are skipped. `position` reads the cursor from the store, as after a restart.
 */
export function partitionCursors(pipeline: Pipeline, store: LabelStore, logger: Logger) {
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
      if (fresh.length < batch.length) logger.info({ partition, redelivered: batch.length - fresh.length, cursor: from }, 'worker: skipped events already applied');
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
 * again from the stored cursor.
 */
export async function startWorkerRole(config: Config & { DATABASE_URL: string }, logger: Logger): Promise<Role> {
  const stages = await openStages(config, logger);
  const events = await openNatsEvents(natsSettings(config)).catch(async (error: unknown) => {
    await stages.close();
    throw error;
  });
  const partitions = config.WORKER_PARTITIONS ?? Array.from({ length: config.NATS_PARTITIONS }, (_, i) => i);
  const outside = partitions.filter((p) => p >= config.NATS_PARTITIONS);
  if (outside.length) throw new Error(`WORKER_PARTITIONS ${outside.join(', ')} not below NATS_PARTITIONS (${config.NATS_PARTITIONS})`);
  const { labeler, pipeline } = stages;
  let stopping = false;
  // One batch at a time in this process, whatever its partition: the labeler decides against settled state.
  let turn: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(work: () => Promise<T>) => {
    const result = turn.then(work);
    turn = result.catch(() => undefined);
    return result;
  };
  const cursors = partitionCursors(pipeline, labeler.store, logger);
  const loops = partitions.map((partition) =>
    consumePartition(events, {
      partition,
      position: () => cursors.position(partition),
      handle: (batch) => inTurn(() => cursors.apply(partition, batch)),
      failed: (error) => logger.error({ err: error, partition }, 'worker: reading or applying a batch failed; reading the partition again from its cursor'),
      stopped: () => stopping,
    }),
  );
  logger.info({ partitions }, 'worker: evaluating and labelling events from NATS');
  return {
    async stop() {
      stopping = true;
      await Promise.all(loops);
      await events.close();
      await stages.close();
    },
  };
}
