/**
 * An evaluation thread (src/services/evaluation-threads.ts): opens the capabilities from the service's
 * configuration, as the main thread does, and computes the features it is sent with their threadable providers.
 */
import { workerData } from 'node:worker_threads';
import type { Config } from '../config.ts';
import { stderrLogger } from '../log.ts';
import { serveRequests } from '../threads.ts';
import type { EvaluationRequest } from './evaluation-threads.ts';
import { openServices } from './index.ts';

const { config } = workerData as { config: Config };
// No database: a threadable provider reads only what its capability loaded from files.
const services = await openServices({ config, logger: stderrLogger(config.LOG_LEVEL) });

serveRequests(async ({ kind, inputs }: EvaluationRequest) => {
  const provider = services.providers.get(kind);
  if (!provider?.threadable) throw new Error(`no threadable feature provider named "${kind}" in this thread`);
  return provider.compute(inputs);
});
