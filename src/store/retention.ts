import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../log.ts';
import type { PostStore } from './posts.ts';

const DAY_MS = 86_400_000;

/** Deletes posts indexed more than `days` before `now`; returns how many. */
export function prunePosts(store: PostStore, days: number, now = new Date()): number {
  return store.prune(new Date(now.getTime() - days * DAY_MS));
}

/** Prunes every hour, so the posts table holds about `days` of posts. */
export function schedulePostRetention(store: PostStore, days: number, logger: Logger): ScheduledTask {
  return cron.schedule(
    '7 * * * *',
    () => {
      const removed = prunePosts(store, days);
      logger.info({ removed, days }, 'old posts pruned');
    },
    { name: 'post-retention', noOverlap: true },
  );
}
