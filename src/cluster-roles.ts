import type { Config } from './config.ts';
import { consumePartition, openNatsEvents, publishEvents } from './ingest/nats-events.ts';
import type { JetstreamSource } from './ingest/jetstream.ts';
import type { Logger } from './log.ts';
import type { CompiledManifest } from './manifests/load.ts';
import { jetstreamSource, openStages } from './service.ts';

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
  const events = await openNatsEvents(config.NATS_URL, config.NATS_PARTITIONS).catch(async (error: unknown) => {
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

/** A role that cannot run what it was given: the operator's to fix, said in one line. */
export class RoleRefused extends Error {
  override name = 'RoleRefused';
}

const accountWindowsRefusal = (files: readonly string[]) =>
  `account labels aggregated from posts (${files.join(', ')}) keep per-author windows in one process's SQLite, which cluster workers do not share`;

/**
 * `skysift start --role worker`: evaluates and labels the events of its partitions (WORKER_PARTITIONS)
 * from NATS, committing labels and label state to the PostgreSQL label store before acknowledging the
 * batch, so a batch delivered again (after a crash) decides against the state it left: nothing new.
 */
export async function startWorkerRole(config: Config & { DATABASE_URL: string }, logger: Logger): Promise<Role> {
  const stages = await openStages(config, logger, { accountWindows: false });
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
  const events = await openNatsEvents(config.NATS_URL, config.NATS_PARTITIONS).catch(async (error: unknown) => {
    await stages.close();
    throw error;
  });
  const partitions = config.WORKER_PARTITIONS ?? Array.from({ length: config.NATS_PARTITIONS }, (_, i) => i);
  const outside = partitions.filter((p) => p >= config.NATS_PARTITIONS);
  if (outside.length) throw new Error(`WORKER_PARTITIONS ${outside.join(', ')} not below NATS_PARTITIONS (${config.NATS_PARTITIONS})`);
  let stopping = false;
  // One batch at a time in this process, whatever its partition: the labeler decides against settled state.
  let turn: Promise<unknown> = Promise.resolve();
  const handle = (batch: unknown[]) => {
    const result = turn.then(() => stages.pipeline(batch));
    turn = result.catch(() => undefined);
    return result.then(() => undefined);
  };
  const loops = partitions.map((partition) =>
    consumePartition(events, {
      partition,
      handle,
      failed: (error) => logger.error({ err: error, partition }, 'worker: a batch failed; NATS delivers it again'),
      stopped: () => stopping,
    }).catch((error: unknown) => {
      if (!stopping) logger.error({ err: error, partition }, 'worker: stopped reading its partition');
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
