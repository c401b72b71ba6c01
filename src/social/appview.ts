import { setTimeout as sleep } from 'node:timers/promises';
import { AppBskyGraphDefs, AtpAgent, XRPCError } from '@atproto/api';
import { createLimit } from '../concurrency.ts';
import { describedFetch } from '../network.ts';
import { recordUri, type SetSpec } from './sets.ts';

/**
 * A fetched membership set. `records` maps the graph records that make someone a member
 * (`<repo did>/<rkey>` of a follow or list item) to that member, so that a Jetstream delete, which
 * carries only the rkey, can be applied. `source` is what live events are matched against: the
 * actor's DID for follows/followers, the list's at-uri for lists and starter packs.
 */
export interface FetchedSet {
  members: string[];
  records: [string, string][];
  source?: string;
}

/** Anonymous reads from an AppView `service`, or reads through a logged-in `agent` (its PDS proxies them to the AppView as that account). */
export type AppViewOptions = ({ service: string } | { agent: AtpAgent }) & {
  concurrency: number;
  /** Longest wait honoured from a 429's `ratelimit-reset` before giving up on the call. */
  maxBackoffMs?: number;
};

const PAGE = 100;
/** getRelationships takes at most 30 `others` per call. */
const RELATIONSHIP_BATCH = 30;

/** The public AppView (or any `app.bsky` service) through `@atproto/api`: paginated fully, concurrency-limited, backing off on 429. */
export class AppView {
  readonly agent: AtpAgent;
  private readonly limit: ReturnType<typeof createLimit>;
  private readonly maxBackoffMs: number;

  constructor(options: AppViewOptions) {
    this.agent = 'agent' in options ? options.agent : new AtpAgent({ service: options.service, fetch: describedFetch });
    this.limit = createLimit(options.concurrency);
    this.maxBackoffMs = options.maxBackoffMs ?? 5 * 60_000;
  }

  private async call<T>(request: (agent: AtpAgent) => Promise<{ data: T }>): Promise<T> {
    for (;;) {
      try {
        return (await this.limit(() => request(this.agent))).data;
      } catch (error) {
        const wait = error instanceof XRPCError && error.status === 429 ? backoffMs(error.headers?.['ratelimit-reset']) : undefined;
        if (wait === undefined || wait > this.maxBackoffMs) throw error;
        await sleep(wait);
      }
    }
  }

  async resolveDid(actor: string): Promise<string> {
    if (actor.startsWith('did:')) return actor;
    return (await this.call((a) => a.com.atproto.identity.resolveHandle({ handle: actor }))).did;
  }

  private async paginate<P>(page: (cursor: string | undefined) => Promise<{ cursor?: string; items: P[] }>): Promise<P[]> {
    const all: P[] = [];
    let cursor: string | undefined;
    do {
      const result = await page(cursor);
      all.push(...result.items);
      cursor = result.items.length ? result.cursor : undefined;
    } while (cursor);
    return all;
  }

  async fetch(spec: SetSpec): Promise<FetchedSet> {
    switch (spec.type) {
      case 'accounts':
        return { members: await Promise.all(spec.actors.map((actor) => this.resolveDid(actor))), records: [] };
      case 'follows':
      case 'followers':
        return this.fetchGraph(spec.type, await this.resolveDid(spec.actor));
      case 'list':
        return this.fetchList(recordUri(await this.resolveDid(spec.repo), 'list', spec.rkey));
      case 'starterpack': {
        const uri = recordUri(await this.resolveDid(spec.repo), 'starterpack', spec.rkey);
        const { starterPack } = await this.call((a) => a.app.bsky.graph.getStarterPack({ starterPack: uri }));
        if (!starterPack.list) throw new Error(`starter pack ${uri} has no list`);
        return this.fetchList(starterPack.list.uri);
      }
    }
  }

  private async fetchList(list: string): Promise<FetchedSet> {
    const items = await this.paginate(async (cursor) => {
      const data = await this.call((a) => a.app.bsky.graph.getList({ list, limit: PAGE, cursor }));
      return { cursor: data.cursor, items: data.items };
    });
    return { members: items.map((i) => i.subject.did), records: items.map((i) => [recordKey(i.uri), i.subject.did]), source: list };
  }

  /** Follows or followers of `actor`, with the follow records behind them (from getRelationships). */
  private async fetchGraph(type: 'follows' | 'followers', actor: string): Promise<FetchedSet> {
    const members = await this.paginate(async (cursor) => {
      if (type === 'follows') {
        const data = await this.call((a) => a.app.bsky.graph.getFollows({ actor, limit: PAGE, cursor }));
        return { cursor: data.cursor, items: data.follows.map((p) => p.did) };
      }
      const data = await this.call((a) => a.app.bsky.graph.getFollowers({ actor, limit: PAGE, cursor }));
      return { cursor: data.cursor, items: data.followers.map((p) => p.did) };
    });
    const batches = Array.from({ length: Math.ceil(members.length / RELATIONSHIP_BATCH) }, (_, i) => members.slice(i * RELATIONSHIP_BATCH, (i + 1) * RELATIONSHIP_BATCH));
    const records: [string, string][] = [];
    await Promise.all(
      batches.map(async (others) => {
        const data = await this.call((a) => a.app.bsky.graph.getRelationships({ actor, others }));
        for (const r of data.relationships) {
          if (!AppBskyGraphDefs.isRelationship(r)) continue;
          const uri = type === 'follows' ? r.following : r.followedBy;
          if (uri) records.push([recordKey(uri), r.did]);
        }
      }),
    );
    return { members, records, source: actor };
  }
}

/** `at://<did>/<collection>/<rkey>` → `<did>/<rkey>`, the part a Jetstream event carries. */
export function recordKey(uri: string): string {
  const [, , repo, , rkey] = uri.split('/');
  return `${repo}/${rkey}`;
}

/** Milliseconds until a `ratelimit-reset` (epoch seconds) header, at least one second; undefined without one. */
function backoffMs(reset: string | undefined): number | undefined {
  if (reset === undefined || !/^\d+$/.test(reset)) return undefined;
  return Math.max(1000, Number(reset) * 1000 - Date.now());
}
