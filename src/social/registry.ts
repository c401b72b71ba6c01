import cron, { type ScheduledTask } from 'node-cron';
import { parseGraphEvent, type GraphEvent } from '../consolidate/graph.ts';
import type { Credentials } from '../core/credentials.ts';
import { serviceKey, type ManifestRef, type Memberships } from '../core/services.ts';
import type { Logger } from '../log.ts';
import type { AppView } from './appview.ts';
import { applyChange, fetchedSet, liveSet, type LiveSet, type RecordChange } from './live-set.ts';
import { knownMembers, setKey, type SetSpec } from './sets.ts';
import type { SocialSetStore } from './store.ts';

/** Where a one-shot command's set came from: the manifest (DIDs), the SQLite cache (perhaps stale), the AppView, or nowhere (why). */
export type SetLoad = { key: string; members: number } & ({ from: 'manifest' | 'appview' } | { from: 'cache'; stale: boolean } | { from: 'none'; reason: string });

/** Who uses a set: the manifest compilation that referred to it, and the author it is read as (if any). */
export interface WatchOptions {
  manifest: ManifestRef;
  author?: Credentials;
}

/** What social operators use at compile time: register a set, get the key to read its snapshot by. */
export interface MembershipWatcher {
  watch(spec: SetSpec, options: WatchOptions): string;
}

/** The compile-time service the social operators look up. */
export const MEMBERSHIP_WATCHER = serviceKey<MembershipWatcher>('social');

/** The registry itself, for commands that load the sets once (a dry run) rather than follow them. */
export const MEMBERSHIP_REGISTRY = serviceKey<MembershipRegistry>('social-registry');

interface Watched {
  spec: SetSpec;
  author?: Credentials;
  /** `file@version` of each compiled manifest that refers to the set; none left: it is unwatched. */
  owners: Set<string>;
}

interface CurrentSet extends LiveSet {
  expiresAt: number;
}

export interface RegistryOptions {
  appview: Pick<AppView, 'fetch'>;
  /** Logged-in reads for sets of manifests with an `author` block. */
  sessions?: { appview(author: Credentials): Promise<Pick<AppView, 'fetch'>> };
  store?: SocialSetStore;
  ttlMs: number;
  logger: Logger;
  now?: () => number;
}

/**
 * Every membership set the loaded manifests refer to, as in-memory snapshots. A set is fetched when
 * first watched (after `start`), kept in SQLite with a TTL, refreshed by a cron job before it expires,
 * and kept current between refreshes by follow/list-item events from Jetstream (written through to
 * SQLite per batch). A set that never loaded has no snapshot, so the leaves that need it stay undecided;
 * a failed refresh keeps the last one. Sets of manifests with an `author` are read through that author's
 * session; a set no loaded manifest refers to any more is dropped (`retain`).
 */
export class MembershipRegistry implements MembershipWatcher {
  private readonly specs = new Map<string, Watched>();
  private readonly sets = new Map<string, CurrentSet>();
  private readonly snapshotView = new Map<string, ReadonlySet<string>>();
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Graph events seen while a set was being fetched: applied again on the fetched set, which may predate them. */
  private readonly seenDuringFetch = new Map<string, GraphEvent[]>();
  private readonly now: () => number;
  private task: ScheduledTask | undefined;
  private started = false;

  constructor(private readonly options: RegistryOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A set read as an author is viewer-dependent (blocks, private lists): its key names the viewer. */
  watch(spec: SetSpec, { manifest, author }: WatchOptions): string {
    const key = author ? `${setKey(spec)}#viewer=${author.identifier}` : setKey(spec);
    const watched = this.specs.get(key);
    if (watched) watched.owners.add(ownerOf(manifest));
    else {
      this.specs.set(key, { spec, ...(author && { author }), owners: new Set([ownerOf(manifest)]) });
      if (this.started) this.load(key);
    }
    return key;
  }

  /**
   * Keeps only the sets the given (currently loaded) manifests refer to: the others are no longer
   * refreshed, their snapshots are dropped and live events no longer touch them. Called after each reload.
   */
  retain(manifests: readonly ManifestRef[]): void {
    const live = new Set(manifests.map(ownerOf));
    for (const [key, watched] of this.specs) {
      for (const owner of watched.owners) if (!live.has(owner)) watched.owners.delete(owner);
      if (watched.owners.size) continue;
      this.specs.delete(key);
      this.sets.delete(key);
      this.snapshotView.delete(key);
      // Its SQLite copy misses the events from now on: should a manifest use the set again, it starts from the copy and refetches.
      this.options.store?.expire(key, this.now());
      this.options.logger.info({ set: key }, 'membership set unwatched: no loaded manifest refers to it');
    }
  }

  /** Starts fetching watched sets and the cron job that refreshes them (every minute it refreshes what is due). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const key of this.specs.keys()) this.load(key);
    this.task = cron.schedule('* * * * *', () => this.refreshDue());
  }

  /**
   * For one-shot commands (a dry run): loads every watched set once, with no cron job and no writes. A
   * list of DIDs needs nothing; otherwise the SQLite copy in `cache` if there is one (stale or not: the
   * report says), else the AppView unless `offline`. Each set's outcome is reported.
   */
  async loadOnce({ cache, offline }: { cache?: Pick<SocialSetStore, 'get'>; offline: boolean }): Promise<SetLoad[]> {
    return Promise.all(
      [...this.specs].map(async ([key, watched]): Promise<SetLoad> => {
        const known = knownMembers(watched.spec);
        if (known) return { key, from: 'manifest', members: this.install(key, liveSet({ members: known, records: [] }), Infinity).members.size };
        const cached = cache?.get(key);
        if (cached) return { key, from: 'cache', stale: cached.expiresAt <= this.now(), members: this.install(key, cached.set, cached.expiresAt).members.size };
        if (offline) return { key, from: 'none', members: 0, reason: 'not in the cache, and --offline forbids fetching it' };
        try {
          const fetched = await (await this.appviewFor(watched)).fetch(watched.spec);
          return { key, from: 'appview', members: this.install(key, liveSet(fetched), this.now() + this.options.ttlMs).members.size };
        } catch (error) {
          return { key, from: 'none', members: 0, reason: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
  }

  /** Keys of every set the compiled manifests refer to. */
  watched(): string[] {
    return [...this.specs.keys()];
  }

  snapshots(): Memberships {
    return this.snapshotView;
  }

  /** Resolves when every fetch under way has finished (successfully or not). */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.all(this.inFlight.values());
  }

  /** Refreshes sets that never loaded and those within a quarter of the TTL of expiring. */
  async refreshDue(): Promise<void> {
    const due = [...this.specs.keys()].filter((key) => {
      const set = this.sets.get(key);
      return !set || set.expiresAt - this.now() < this.options.ttlMs / 4;
    });
    await Promise.all(due.map((key) => this.refresh(key)));
  }

  /** Starts from the SQLite copy when there is one (refreshing at once if it is stale), else fetches. */
  private load(key: string): void {
    const cached = this.options.store?.get(key);
    if (cached) this.install(key, cached.set, cached.expiresAt);
    if (!cached || cached.expiresAt <= this.now()) void this.refresh(key);
  }

  refresh(key: string): Promise<void> {
    const running = this.inFlight.get(key);
    if (running) return running;
    const watched = this.specs.get(key);
    if (!watched) return Promise.resolve();
    const seen: GraphEvent[] = [];
    this.seenDuringFetch.set(key, seen);
    const run = this.appviewFor(watched)
      .then((appview) => appview.fetch(watched.spec))
      .then((fetched) => {
        if (this.specs.get(key) !== watched) return; // unwatched while it was being fetched
        const fetchedAt = this.now();
        const expiresAt = fetchedAt + this.options.ttlMs;
        const set = this.install(key, liveSet(fetched), expiresAt);
        for (const event of seen) this.applyTo(key, set, event);
        this.options.store?.put(key, fetchedSet(set), fetchedAt, expiresAt);
        this.options.logger.info({ set: key, members: fetched.members.length }, 'membership set loaded');
      })
      .catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        if (this.sets.has(key)) this.options.logger.warn({ set: key, reason }, 'membership set refresh failed; keeping the last snapshot');
        else this.options.logger.error({ set: key, reason }, 'membership set could not be fetched; manifests that use it stay inactive until it loads (retried every minute; a failed author login after 10 minutes)');
      })
      .finally(() => {
        this.inFlight.delete(key);
        this.seenDuringFetch.delete(key);
      });
    this.inFlight.set(key, run);
    return run;
  }

  private async appviewFor({ author }: Watched): Promise<Pick<AppView, 'fetch'>> {
    if (!author) return this.options.appview;
    if (!this.options.sessions) throw new Error('no session provider to read as a manifest author');
    return this.options.sessions.appview(author);
  }

  private install(key: string, live: LiveSet, expiresAt: number): CurrentSet {
    const set = { ...live, expiresAt };
    this.sets.set(key, set);
    this.snapshotView.set(key, set.members);
    return set;
  }

  /**
   * Applies follow and list-item events of the watched actors and lists to their snapshots, and appends
   * the changes to SQLite in one transaction, so that a restart (whose Jetstream cursor has moved past
   * these events) starts from them.
   */
  observe(events: readonly unknown[]): void {
    if (!this.sets.size && !this.seenDuringFetch.size) return;
    const changes = new Map<string, RecordChange[]>();
    for (const raw of events) {
      const event = parseGraphEvent(raw);
      if (!event) continue;
      for (const [key, set] of this.sets) {
        const change = this.applyTo(key, set, event);
        if (!change) continue;
        const list = changes.get(key);
        if (list) list.push(change);
        else changes.set(key, [change]);
      }
      for (const seen of this.seenDuringFetch.values()) seen.push(event);
    }
    if (changes.size) this.options.store?.appendChanges(changes);
  }

  /** The change the event made to the set, if any. Applying an event twice changes nothing, so re-applying it to a fetched set that already has it is safe. */
  private applyTo(key: string, set: LiveSet, event: GraphEvent): RecordChange | undefined {
    const record = `${event.did}/${event.rkey}`;
    if (event.operation === 'delete') return applyChange(set, [record, null]) ? [record, null] : undefined;
    const type = this.specs.get(key)!.spec.type;
    const member =
      event.kind === 'follow'
        ? type === 'follows' && set.source === event.did
          ? event.subject
          : type === 'followers' && set.source === event.subject
            ? event.did
            : undefined
        : (type === 'list' || type === 'starterpack') && set.source === event.list
          ? event.subject
          : undefined;
    return member !== undefined && applyChange(set, [record, member]) ? [record, member] : undefined;
  }

  async close(): Promise<void> {
    await this.task?.destroy();
    await this.settled();
  }
}

function ownerOf({ file, version }: ManifestRef): string {
  return `${file}@${version}`;
}
