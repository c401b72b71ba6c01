import type { Config } from '../config.ts';
import { stderrLogger } from '../log.ts';
import { formatProblems, loadManifests, type CompiledManifest, type LoadResult } from '../manifests/load.ts';
import { openServices } from '../services/index.ts';

/** Compiles the manifests of `dir` with the services an offline command can open (no database), closed afterwards. */
export async function compileManifestsOffline(config: Config, dir = config.MANIFESTS_DIR): Promise<LoadResult> {
  const services = await openServices({ config, logger: stderrLogger(config.LOG_LEVEL) });
  return loadManifests(dir, { services: services.compile }).finally(() => services.close());
}

/**
 * The manifests of MANIFESTS_DIR, all of them or an error: commands that publish or retire labels
 * must not mistake a broken manifest for a removed one.
 */
export async function loadAllManifests(config: Config): Promise<CompiledManifest[]> {
  const { manifests, problems } = await compileManifestsOffline(config);
  if (problems.length) throw new Error(`fix the manifests first (skysift manifests validate):\n${formatProblems(problems)}`);
  return manifests;
}
