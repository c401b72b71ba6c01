import { compileManifestsOffline } from '../../src/cli/loaded-manifests.ts';
import { loadConfig } from '../../src/config.ts';
import type { ConsolidatedPost } from '../../src/consolidate/post.ts';
import { evaluateBatch, type Verdict } from '../../src/evaluate/index.ts';
import { createLogger } from '../../src/log.ts';
import { loadManifestFiles, manifestFiles, type CompiledManifest } from '../../src/manifests/load.ts';
import { openServices } from '../../src/services/index.ts';

/** The manifests of `dir` (by default those the repo ships), compiled with the services an offline command opens. */
export async function shippedManifests(dir = 'manifests'): Promise<CompiledManifest[]> {
  return (await compileManifestsOffline(loadConfig({ LOG_LEVEL: 'silent' }), dir)).manifests;
}

/** The manifests of `dir` and their verdicts on `posts`, evaluated with the services' feature providers (the models' inference), as a replay does. */
export async function shippedVerdicts(posts: readonly ConsolidatedPost[], dir = 'manifests'): Promise<{ manifests: CompiledManifest[]; verdicts: Verdict[] }> {
  const services = await openServices({ config: loadConfig({ LOG_LEVEL: 'silent' }), logger: createLogger('silent') });
  try {
    const { manifests } = await loadManifestFiles(manifestFiles(dir), { services: services.compile });
    return { manifests, verdicts: await evaluateBatch(posts, manifests, services.providers) };
  } finally {
    await services.close();
  }
}
