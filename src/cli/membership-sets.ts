import { databasePath, type Config } from '../config.ts';
import type { Services } from '../core/services.ts';
import { MEMBERSHIP_REGISTRY, type SetLoad } from '../social/registry.ts';
import { SocialSetStore } from '../social/store.ts';
import { openExistingDatabaseReadOnly } from '../store/database.ts';

function describe(load: SetLoad, config: Config): string {
  switch (load.from) {
    case 'manifest':
      return `${load.members} member(s), the DIDs written in the manifest`;
    case 'cache':
      return `${load.members} member(s) from the cache in ${config.DATA_DIR}${load.stale ? ' (stale: older than SOCIAL_CACHE_TTL_SECONDS; the service would refetch it)' : ''}`;
    case 'appview':
      return `${load.members} member(s) fetched from ${config.APPVIEW_URL}`;
    case 'none':
      return `NOT LOADED (${load.reason}): conditions on this set are undecided in this run`;
  }
}

/**
 * Loads the membership sets the compiled manifests refer to, once, for a dry run: from the manifest
 * (DIDs), the service's SQLite cache (read-only), or the AppView unless `offline`. Returns one line per set.
 */
export async function loadMembershipSets(services: Services, config: Config, offline: boolean): Promise<string[]> {
  const registry = services.compile.get(MEMBERSHIP_REGISTRY);
  if (!registry?.watched().length) return [];
  const db = openExistingDatabaseReadOnly(databasePath(config));
  try {
    const loads = await registry.loadOnce({ ...(db && { cache: new SocialSetStore(db) }), offline });
    return loads.map((load) => `membership set ${load.key}: ${describe(load, config)}`);
  } finally {
    db?.close();
  }
}
