import pino from 'pino';
import type { Config } from '../config.ts';
import { createLogger } from '../log.ts';
import { formatProblems, loadManifests, type CompiledManifest } from '../manifests/load.ts';
import { openServices } from '../services/index.ts';

/**
 * The manifests of MANIFESTS_DIR, all of them or an error: commands that publish or retire labels
 * must not mistake a broken manifest for a removed one.
 */
export async function loadAllManifests(config: Config): Promise<CompiledManifest[]> {
  const services = await openServices({ config, logger: createLogger(config.LOG_LEVEL, { destination: pino.destination(2) }) });
  const { manifests, problems } = await loadManifests(config.MANIFESTS_DIR, { services: services.compile }).finally(() => services.close());
  if (problems.length) throw new Error(`fix the manifests first (skysift manifests validate):\n${formatProblems(problems)}`);
  return manifests;
}
