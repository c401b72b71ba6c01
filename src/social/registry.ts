import cron, { type ScheduledTask } from 'node-cron';
import { parseGraphEvent, type GraphEvent } from '../consolidate/graph.ts';
import type { Memberships } from '../evaluate/index.ts';
import type { Logger } from '../log.ts';
import type { AppView, FetchedSet } from './appview.ts';
import { setKey, type SetSpec } from './sets.ts';
import type { SocialSetStore } from './store.ts';

/** What social operators use at compile time: register a set, get the key to read its snapshot by. */
export interface MembershipWatcher {
  watch(spec: SetSpec): string;
}

interface LiveSet {
  members: Set<string>;
  /** `<repo did>/<rkey>` of each follow/list-item record → the member it makes. */
  records: Map<string, string>;
  source?: string;
  expiresAt: number;
}

export interface RegistryOptions {
  appview: Pick<AppView, 'fetch'>;
  store?: SocialSetStore;
  ttlMs: number;
  logger: Logger;
  now?: () => number;
}

/**
 * Every membership set the loaded manifests refer to, as in-memory snapshots. A set is fetched when
 * first watched (after `start`), kept in SQLite with a TTL, refreshed by a cron job before it expires,
 * and kept current between refreshes by follow/list-item events from Jetstream. A set that never
 * loaded has no snapshot, so the leaves that need it stay undecided; a failed refresh keeps the last one.
 */
export class MembershipRegistry implements MembershipWatcher {
  private readonly specs = new Map<string, SetSpec>();
  private readonly sets = new Map<string, LiveSet>();
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

  watch(spec: SetSpec): string {
    const key = setKey(spec);
    if (!this.specs.has(key)) {
      this.specs.set(key, spec);
      if (this.started) this.load(key);
    }
    return key;
  }

  /** Starts fetching watched sets and the cron job that refreshes them (every minute it refreshes what is due). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const key of this.specs.keys()) this.load(key);
    this.task = cron.schedule('* * * * *', () => this.refreshDue());
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
    if (cached) this.install(key, cached, cached.expiresAt);
    if (!cached || cached.expiresAt <= this.now()) void this.refresh(key);
  }

  refresh(key: string): Promise<void> {
    const running = this.inFlight.get(key);
    if (running) return running;
    const spec = this.specs.get(key);
    if (!spec) return Promise.resolve();
    const seen: GraphEvent[] = [];
    this.seenDuringFetch.set(key, seen);
    const run = this.options.appview
      .fetch(spec)
      .then((fetched) => {
        const fetchedAt = this.now();
        const expiresAt = fetchedAt + this.options.ttlMs;
        const set = this.install(key, fetched, expiresAt);
        for (const event of seen) this.applyTo(key, set, event);
        this.options.store?.put(key, fetched, fetchedAt, expiresAt);
        this.options.logger.info({ set: key, members: fetched.members.length }, 'membership set loaded');
      })
      .catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        if (this.sets.has(key)) this.options.logger.warn({ set: key, reason }, 'membership set refresh failed; keeping the last snapshot');
        else this.options.logger.error({ set: key, reason }, 'membership set could not be fetched; manifests that use it stay inactive until it loads (retried every minute)');
      })
      .finally(() => {
        this.inFlight.delete(key);
        this.seenDuringFetch.delete(key);
      });
    this.inFlight.set(key, run);
    return run;
  }

  private install(key: string, fetched: FetchedSet, expiresAt: number): LiveSet {
    const set: LiveSet = { members: new Set(fetched.members), records: new Map(fetched.records), expiresAt, ...(fetched.source && { source: fetched.source }) };
    this.sets.set(key, set);
    this.snapshotView.set(key, set.members);
    return set;
  }

  /** Applies follow and list-item events of the watched actors and lists to their snapshots. */
  observe(events: readonly unknown[]): void {
    if (!this.sets.size && !this.seenDuringFetch.size) return;
    for (const raw of events) {
      const event = parseGraphEvent(raw);
      if (!event) continue;
      for (const [key, set] of this.sets) this.applyTo(key, set, event);
      for (const seen of this.seenDuringFetch.values()) seen.push(event);
    }
  }

  /** Applying an event twice changes nothing, so re-applying it to a fetched set that already has it is safe. */
  private applyTo(key: string, set: LiveSet, event: GraphEvent): void {
    const record = `${event.did}/${event.rkey}`;
    const type = this.specs.get(key)!.type;
    if (event.operation === 'delete') {
      const member = set.records.get(record);
      if (member === undefined) return;
      set.records.delete(record);
      // The same account can be in a list through two items; it leaves with the last one.
      if (![...set.records.values()].includes(member)) set.members.delete(member);
      return;
    }
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
    if (member === undefined) return;
    set.records.set(record, member);
    set.members.add(member);
  }

  async close(): Promise<void> {
    await this.task?.destroy();
    await this.settled();
  }
}
