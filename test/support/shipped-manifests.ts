import { compileManifestsOffline } from '../../src/cli/loaded-manifests.ts';
import { loadConfig } from '../../src/config.ts';
import type { CompiledManifest } from '../../src/manifests/load.ts';

/** The manifests of `dir` (by default those the repo ships), compiled with the services an offline command opens. */
export async function shippedManifests(dir = 'manifests'): Promise<CompiledManifest[]> {
  return (await compileManifestsOffline(loadConfig({ LOG_LEVEL: 'silent' }), dir)).manifests;
}
