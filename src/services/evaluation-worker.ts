/**
 * An evaluation thread (src/services/evaluation-threads.ts): opens the capabilities with threadable providers
 * (threadable-parts.ts) from the service's configuration, as the main thread does, so it loads the same model
 * files, and computes the features it is sent.
 */
import { workerData } from 'node:worker_threads';
import type { Config } from '../config.ts';
import { stderrLogger } from '../log.ts';
import { serveRequests } from '../threads.ts';
import type { EvaluationRequest } from './evaluation-threads.ts';
import { threadableParts } from './threadable-parts.ts';

const { config } = workerData as { config: Config };
// No database: a threadable provider reads only what its capability loaded from files.
const context = { config, logger: stderrLogger(config.LOG_LEVEL) };
const providers = new Map((await Promise.all(threadableParts.map((open) => open(context)))).flatMap((part) => (part.providers ?? []).map((p) => [p.kind.name, p] as const)));

serveRequests(async ({ kind, inputs }: EvaluationRequest) => {
  const provider = providers.get(kind);
  if (!provider?.threadable) throw new Error(`no threadable feature provider named "${kind}" in this thread`);
  return provider.compute(inputs);
});
