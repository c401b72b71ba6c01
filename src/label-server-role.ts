import type { FastifyInstance } from 'fastify';
import { redactConfig, type Config } from './config.ts';
import { openPostgresLabelStore } from './label/open-store.ts';
import { Sequencer } from './label/sequencer.ts';
import { createLabelServer } from './label/server.ts';
import type { Logger } from './log.ts';
import { Metrics } from './metrics.ts';

export interface LabelServerRole {
  address: string;
  stop(): Promise<void>;
}

/**
 * `skysift start --role labels`: a stateless label server. It serves `subscribeLabels` and `queryLabels`
 * from the PostgreSQL label store that other skysift processes commit to, woken by their commits
 * (LISTEN/NOTIFY); it reads no events, holds no signing key and writes nothing, so as many as needed
 * can run behind a load balancer.
 */
export async function startLabelServerRole(config: Config & { DATABASE_URL: string }, logger: Logger): Promise<LabelServerRole> {
  logger.info({ config: redactConfig(config) }, 'starting skysift label server');
  const labels = await openPostgresLabelStore(config.DATABASE_URL, logger);
  const { store } = labels;
  const metrics = new Metrics('labels');
  const sequencer = new Sequencer(store, logger);
  let app: FastifyInstance | undefined;
  const stop = async () => {
    await sequencer.stop();
    await app?.close();
    await labels.close();
  };
  try {
    await sequencer.start();
    const routes = (server: FastifyInstance) => {
      server.get('/health', async (_req, reply) => {
        const database = await store.head().then(
          () => 'ok',
          (error: Error) => error.message,
        );
        await reply.status(database === 'ok' ? 200 : 503).send({ status: database === 'ok' ? 'ok' : 'degraded', role: 'labels', database });
      });
      server.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
    };
    app = await createLabelServer({ store, sequencer, logger, metrics, routes });
    const address = await app.listen({ port: config.LABELER_PORT, host: config.LABELER_HOST });
    logger.info({ address }, 'label server serving subscribeLabels, queryLabels, /health and /metrics from PostgreSQL');
    return { address, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
