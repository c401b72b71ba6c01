import { once } from 'node:events';
import { loadConfig, type Config } from '../../config.ts';
import { createLogger } from '../../log.ts';
import { RoleRefused, startIngestRole, startWorkerRole } from '../../cluster-roles.ts';
import { NatsUnavailable } from '../../ingest/nats-events.ts';
import { startLabelServerRole } from '../../label-server-role.ts';
import { startService } from '../../service.ts';
import { CliError, UsageError, type Command } from '../command.ts';
import { manifestsDir } from '../loaded-manifests.ts';

/** Why the label server could not listen, said in terms of the settings that choose where it listens. */
function listenFailure(error: unknown, config: Config): CliError | undefined {
  const where = `${config.LABELER_HOST}:${config.LABELER_PORT}`;
  switch ((error as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return new CliError(`LABELER_PORT ${config.LABELER_PORT} is already in use on ${config.LABELER_HOST} (another skysift running?): stop that process or set LABELER_PORT to a free port`);
    case 'EACCES':
      return new CliError(`not allowed to listen on ${where}: set LABELER_PORT to a port above 1023, or run skysift behind a proxy`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new CliError(`LABELER_HOST ${config.LABELER_HOST} is not an address of this machine: set it to 127.0.0.1, 0.0.0.0 or one of its addresses`);
    default:
      return undefined;
  }
}

export const start: Command = {
  name: 'start',
  summary: 'Run the labeler service until SIGINT or SIGTERM; `--role` runs one part of it in cluster mode (NATS JetStream and PostgreSQL).',
  usage: 'start [--role all|ingest|worker|labels]',
  options: {
    role: {
      type: 'string',
      value: '<all|ingest|worker|labels>',
      description:
        'all: ingest, evaluate, label and serve in one process. ingest: publish Jetstream events to NATS_URL. worker: evaluate and label the events of WORKER_PARTITIONS from NATS into DATABASE_URL. labels: serve subscribeLabels and queryLabels from DATABASE_URL.',
      default: 'all',
    },
  },
  async run({ values }) {
    const role = (values.role as string | undefined) ?? 'all';
    if (!['all', 'ingest', 'worker', 'labels'].includes(role)) throw new UsageError(`--role is all, ingest, worker or labels, not ${JSON.stringify(role)}`);
    const config = loadConfig();
    const { DATABASE_URL } = config;
    if ((role === 'labels' || role === 'worker') && !DATABASE_URL) throw new CliError(`--role ${role} shares the label store with the other processes in PostgreSQL: set DATABASE_URL`);
    if (role !== 'labels') manifestsDir(config);
    // Listening before anything else: a stop asked for while starting (docker stop, Ctrl-C) is kept, not
    // lost, and as PID 1 in a container an unhandled SIGTERM would be ignored.
    const signals = ['SIGINT', 'SIGTERM'] as const;
    const stopSignal = Promise.race(signals.map((signal) => once(process, signal).then(() => signal))).then((signal) => {
      // A second signal means "now", even while still starting.
      for (const s of signals) process.once(s, () => process.exit(1));
      return signal;
    });
    const logger = createLogger(config.LOG_LEVEL);
    const starting =
      role === 'labels' && DATABASE_URL
        ? startLabelServerRole({ ...config, DATABASE_URL }, logger)
        : role === 'worker' && DATABASE_URL
          ? startWorkerRole({ ...config, DATABASE_URL }, logger)
          : role === 'ingest'
            ? startIngestRole(config, logger)
            : startService(config, logger);
    const service = await starting.catch((error: unknown) => {
      if (error instanceof RoleRefused || error instanceof NatsUnavailable) throw new CliError(error.message);
      throw listenFailure(error, config) ?? error;
    });
    const signal = await stopSignal;
    logger.info({ signal }, 'shutting down');
    // A stop waiting on a peer that is gone (NATS or PostgreSQL down) must not hold the process forever.
    const late = setTimeout(() => {
      logger.error({ seconds: config.STOP_TIMEOUT_SECONDS }, 'not stopped within STOP_TIMEOUT_SECONDS; exiting anyway (batches commit their labels and cursor together: nothing is lost)');
      logger.flush();
      process.exit(1);
    }, config.STOP_TIMEOUT_SECONDS * 1000);
    await service.stop();
    clearTimeout(late);
    logger.flush();
    return 0;
  },
};
