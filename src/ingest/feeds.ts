import { AtpAgent } from '@atproto/api';
import cron, { type ScheduledTask } from 'node-cron';
import { consolidateFeedViewPost, type ConsolidatedPost } from '../consolidate/index.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { describedFetch } from '../network.ts';

export interface FeedSyncOptions {
  /** Feed generator at-uris. */
  feeds: readonly string[];
  appviewUrl: string;
  /** At most this many posts per feed and sync. */
  limit: number;
  /** Where consolidated posts go: the pipeline's store → evaluate → label stage. */
  process: (posts: readonly ConsolidatedPost[]) => Promise<unknown>;
  logger: Logger;
  metrics: Metrics;
  requestTimeoutMs?: number;
}

/** getFeed serves at most 100 posts a page. */
const PAGE_MAX = 100;

/**
 * Fetches configured feeds from the AppView (app.bsky.feed.getFeed, paginated up to `limit`) and
 * hands their posts to the pipeline like firehose posts. A feed that fails is logged and counted
 * and tried again on the next tick; the others still sync.
 */
export class FeedSync {
  private readonly agent: AtpAgent;

  constructor(private readonly options: FeedSyncOptions) {
    const timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.agent = new AtpAgent({ service: options.appviewUrl, fetch: (input, init) => describedFetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) }) });
  }

  /** Syncs every feed once; never throws. Returns the posts processed per feed (undefined: failed). */
  async syncAll(): Promise<Map<string, number | undefined>> {
    const results = new Map<string, number | undefined>();
    for (const feed of this.options.feeds) {
      try {
        results.set(feed, await this.syncFeed(feed));
      } catch (error) {
        results.set(feed, undefined);
        this.options.metrics.feedSyncErrors.inc({ feed });
        this.options.logger.warn({ feed, err: (error as Error).message }, 'feed sync failed; retrying on the next tick');
      }
    }
    return results;
  }

  async syncFeed(feed: string): Promise<number> {
    const posts: ConsolidatedPost[] = [];
    let cursor: string | undefined;
    do {
      const { data } = await this.agent.app.bsky.feed.getFeed({ feed, limit: Math.min(PAGE_MAX, this.options.limit - posts.length), ...(cursor && { cursor }) });
      const syncedAt = new Date().toISOString();
      for (const item of data.feed.slice(0, this.options.limit - posts.length)) {
        const result = consolidateFeedViewPost(item, feed, syncedAt);
        if (result.kind === 'post') posts.push(result.post);
        else if (result.kind === 'malformed') {
          this.options.metrics.malformed.inc({ reason: `feed-${result.code}` });
          this.options.logger.debug({ feed, reason: result.reason }, 'feed item skipped');
        }
      }
      cursor = data.feed.length ? data.cursor : undefined;
    } while (cursor && posts.length < this.options.limit);
    await this.options.process(posts);
    this.options.metrics.feedPostsSynced.inc({ feed }, posts.length);
    this.options.logger.info({ feed, posts: posts.length }, 'feed synced');
    return posts.length;
  }

  /** Runs `syncAll` on the cron schedule; a tick still running when the next is due is skipped. */
  schedule(expression: string): ScheduledTask {
    return cron.schedule(expression, () => this.syncAll().then(() => undefined), { name: 'feed-sync', noOverlap: true });
  }
}
