import { provide, type ServiceContext, type ServicePart } from '../core/services.ts';
import { AppView } from './appview.ts';
import { MEMBERSHIP_REGISTRY, MEMBERSHIP_WATCHER, MembershipRegistry } from './registry.ts';
import { AuthorSessions } from './sessions.ts';
import { SocialSetStore } from './store.ts';

/**
 * The social capability: the membership service of the social operators (`MEMBERSHIP_WATCHER` at
 * compile time). Sets are fetched only where there is a database (the service, replays); offline
 * commands compile without touching the network, and their social leaves stay undecided.
 */
export function openSocial({ config, logger, db }: ServiceContext): ServicePart {
  const registry = new MembershipRegistry({
    appview: new AppView({ service: config.APPVIEW_URL, concurrency: config.SOCIAL_FETCH_CONCURRENCY }),
    sessions: new AuthorSessions(config.SOCIAL_FETCH_CONCURRENCY),
    ...(db && { store: new SocialSetStore(db) }),
    ttlMs: config.SOCIAL_CACHE_TTL_SECONDS * 1000,
    logger: logger.child({ component: 'social' }),
  });
  if (db) registry.start();
  return {
    compile: [provide(MEMBERSHIP_WATCHER, registry), provide(MEMBERSHIP_REGISTRY, registry)],
    memberships: () => registry.snapshots(),
    observe: (events) => registry.observe(events),
    retain: (manifests) => registry.retain(manifests),
    close: () => registry.close(),
  };
}
