import pg from 'pg';
import type { Logger } from '../log.ts';

/** Advisory-lock namespaces (any constants of ours): a partition's lease, and a worker asking for its own partition back. */
const LEASE = 0x736b7902;
const WANTED = 0x736b7903;

/** How often leases are taken, checked and handed back. */
const TICK_MS = 1_000;
/** Ticks a partition must go without a lease before a standby takes it. */
const STANDBY_TICKS = 3;

export interface PartitionLeaseOptions {
  url: string;
  /** Every partition of the stream (NATS_PARTITIONS). */
  partitions: number;
  /** The partitions this worker is given (WORKER_PARTITIONS): it takes them whenever it can and asks for them back. */
  own: readonly number[];
  /** Also read other partitions while no worker holds them (their worker is gone), handing each back when it asks. */
  standby: boolean;
  /** Starts reading a partition this process now holds. */
  acquired(partition: number): void;
  /** Stops reading a partition; resolves once its last batch is committed or abandoned. The lease goes after. */
  release(partition: number): Promise<void>;
  logger: Logger;
  tickMs?: number;
}

export interface PartitionLeases {
  /** The partitions this process holds now. */
  held(): number[];
  /** Stops reading every partition held, then lets the leases go. */
  close(): Promise<void>;
}

/**
 * Which worker reads which partition, decided in PostgreSQL: a partition is read only by the process
 * holding its lease, a session advisory lock. A worker killed, or whose host is lost, loses its
 * session and with it its leases (the session's TCP keepalive is made short so that a silent host is
 * noticed in about half a minute); a few seconds later a standby worker takes its partitions over from their cursors
 * and hands each back once its own worker returns and asks for it (by holding the partition's "wanted"
 * lock). The leases decide who reads; the cursor check of each commit (`CursorMoved`) stays the guard
 * against two writers, so a lease lost mid-batch can never apply a batch twice.
 */
export function holdPartitionLeases(options: PartitionLeaseOptions): PartitionLeases {
  const { url, partitions, own, standby, acquired, release, logger, tickMs = TICK_MS } = options;
  const mine = new Set(own);
  const held = new Set<number>();
  const wanting = new Set<number>();
  let session: pg.Client | undefined;
  let closing = false;
  let timer: NodeJS.Timeout | undefined;

  const tryLock = async (space: number, partition: number) =>
    (await session!.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [space, partition])).rows[0]!.ok;
  const unlock = (space: number, partition: number) => session!.query('SELECT pg_advisory_unlock($1, $2)', [space, partition]);

  const connect = async () => {
    const client = new pg.Client({ connectionString: url, keepAlive: true });
    // A lost session means lost leases: nothing to do but stop reading and connect again on the next tick.
    client.on('error', () => undefined);
    await client.connect();
    await client.query('SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3');
    return client;
  };

  /** The session is gone (or never came): its locks went with it, so every partition read under them stops. */
  let failing = false;
  const lose = async (error: unknown) => {
    if (!failing) logger.error({ err: error, partitions: [...held] }, 'worker: no PostgreSQL session for partition leases; reading its partitions again once leases are back');
    failing = true;
    const lost = [...held];
    held.clear();
    wanting.clear();
    await session?.end().catch(() => undefined);
    session = undefined;
    await Promise.all(lost.map(release));
  };

  const take = (partition: number) => {
    held.add(partition);
    acquired(partition);
  };

  const handBack = async (partition: number) => {
    logger.info({ partition }, 'worker: handing a partition back to its own worker');
    await release(partition);
    held.delete(partition);
    await unlock(LEASE, partition);
  };

  /** Partitions leased and partitions asked for, by any session (this one's included). */
  const locks = async () => {
    const { rows } = await session!.query<{ space: number; partition: number }>(
      "SELECT classid::int AS space, objid::int AS partition FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND granted AND classid::int IN ($1, $2)",
      [LEASE, WANTED],
    );
    const of = (space: number) => new Set(rows.filter((r) => r.space === space).map((r) => r.partition));
    return { leased: of(LEASE), wanted: of(WANTED) };
  };
  // Ticks each partition has been seen with no lease: a standby waits a few, so that workers starting
  // together each take their own partitions rather than the first taking everything and handing it back.
  const free = new Map<number, number>();

  const tick = async () => {
    session ??= await connect();
    for (const partition of mine) {
      if (held.has(partition)) continue;
      if (await tryLock(LEASE, partition)) {
        if (wanting.delete(partition)) await unlock(WANTED, partition);
        take(partition);
      } else if (!wanting.has(partition) && (await tryLock(WANTED, partition))) {
        wanting.add(partition);
        logger.info({ partition }, 'worker: waiting for a partition of its own that another worker holds');
      }
    }
    const { leased, wanted } = await locks();
    for (let partition = 0; partition < partitions; partition++) {
      if (mine.has(partition)) continue;
      if (held.has(partition)) {
        if (wanted.has(partition)) await handBack(partition);
        continue;
      }
      const ticks = leased.has(partition) || wanted.has(partition) ? 0 : (free.get(partition) ?? 0) + 1;
      free.set(partition, ticks);
      if (standby && ticks >= STANDBY_TICKS && (await tryLock(LEASE, partition))) {
        logger.warn({ partition }, 'worker: took over a partition no worker was reading');
        take(partition);
      }
    }
  };

  // One tick at a time, the first at once: a worker starts reading its partitions without waiting.
  let ticking: Promise<void> = Promise.resolve();
  const next = () => {
    ticking = tick().then(
      () => {
        failing = false;
      },
      lose,
    );
    void ticking.then(() => {
      if (!closing) timer = setTimeout(next, tickMs);
    });
  };
  next();

  return {
    held: () => [...held].sort((a, b) => a - b),
    async close() {
      closing = true;
      clearTimeout(timer);
      await ticking;
      await Promise.all([...held].map(release));
      held.clear();
      await session?.end().catch(() => undefined);
      session = undefined;
    },
  };
}
