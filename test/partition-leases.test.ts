import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import pino from 'pino';
import { holdPartitionLeases, type PartitionLeases } from '../src/store/partition-leases.ts';
import { startTestPostgres, type TestPostgres } from './support/postgres.ts';
import { until } from './support/until.ts';

const silent = pino({ level: 'silent' });
const TICK_MS = 40;

describe('partition leases in PostgreSQL: who reads which partition', () => {
  let postgres: TestPostgres;
  let admin: pg.Client;
  before(async () => {
    postgres = await startTestPostgres();
    admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
  });
  after(async () => {
    await admin?.end();
    await postgres?.stop();
  });

  /** A worker's leases, with what it was told, in order, in a log shared by every worker of the test. */
  const log: string[] = [];
  const worker = (name: string, own: number[], { standby = true, tickMs = TICK_MS } = {}): PartitionLeases =>
    holdPartitionLeases({
      url: postgres.url,
      partitions: 3,
      own,
      standby,
      acquired: (p) => void log.push(`${name} reads ${p}`),
      release: async (p) => void log.push(`${name} stops ${p}`),
      logger: silent,
      tickMs,
    });
  /** The log never has two workers reading `partition` at once: each "reads" follows the last reader's "stops". */
  const oneReaderAtATime = (partition: number) => {
    let reader: string | undefined;
    for (const line of log.filter((l) => l.endsWith(` ${partition}`))) {
      const [name, what] = line.split(' ');
      if (what === 'reads') assert.equal(reader, undefined, `${name} read ${partition} while ${reader} did: ${log.join(', ')}`);
      else assert.equal(reader, name, `${name} stopped ${partition}, which ${reader} was reading`);
      reader = what === 'reads' ? name : undefined;
    }
    return reader;
  };
  const holds = (leases: PartitionLeases, partitions: number[]) => () => leases.held().join() === partitions.join();

  it('each worker takes its own; a standby takes over those of a worker that is gone and hands each back when it returns', async () => {
    // Slower ticks here: workers starting together must not see each other as gone, however loaded the machine.
    const tickMs = 250;
    let a = worker('a', [0], { tickMs });
    const b = worker('b', [1, 2], { tickMs });
    const c = worker('c', [], { standby: false, tickMs });
    try {
      await until(holds(a, [0]), { what: 'a to take partition 0' });
      await until(holds(b, [1, 2]), { what: 'b to take partitions 1 and 2' });
      // Workers starting together: no standby took another's partition in between.
      await new Promise((r) => setTimeout(r, tickMs * 6));
      assert.deepEqual(log.splice(0).sort(), ['a reads 0', 'b reads 1', 'b reads 2']);

      // a stops: after a few ticks without a lease, b (a standby) reads partition 0 too; c (no standby) never does.
      await a.close();
      await until(holds(b, [0, 1, 2]), { what: 'b to take partition 0 over' });
      assert.deepEqual(log.splice(0), ['a stops 0', 'b reads 0']);
      assert.deepEqual(c.held(), []);

      // a returns: b stops reading partition 0 before a starts.
      a = worker('a', [0], { tickMs });
      await until(holds(a, [0]), { what: 'a to get partition 0 back' });
      assert.deepEqual(b.held(), [1, 2]);
      assert.deepEqual(log.splice(0), ['b stops 0', 'a reads 0']);
    } finally {
      await Promise.all([a, b, c].map((w) => w.close()));
      log.length = 0;
    }
  });

  it('a worker whose PostgreSQL session dies (killed, host lost) stops reading; its partitions move and come back', async () => {
    const a = worker('a', [0, 1]);
    const b = worker('b', [2]);
    try {
      await until(holds(a, [0, 1]), { what: 'a to take its partitions' });
      await until(holds(b, [2]), { what: 'b to take its partition' });
      // What PostgreSQL does when a worker's connection drops: the session ends and its advisory locks go.
      const { rows } = await admin.query<{ pid: number }>("SELECT DISTINCT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND objid = 0 AND granted");
      assert.equal(rows.length, 1, "one session holds partition 0's lease");
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);

      await until(() => log.includes('a stops 0') && log.includes('a stops 1'), { what: 'a to stop reading what it lost' });
      // a connects again and takes its own partitions back; b may have taken them meanwhile and hands them back.
      await until(holds(a, [0, 1]), { what: 'a to read its partitions again' });
      await until(holds(b, [2]), { what: 'b to keep only its own' });
      for (const partition of [0, 1, 2]) assert.equal(oneReaderAtATime(partition), partition === 2 ? 'b' : 'a');
    } finally {
      await Promise.all([a.close(), b.close()]);
      log.length = 0;
    }
  });

  it('two workers given the same partitions share them, each read by one; when one stops, the other reads them all', async () => {
    const a = worker('a', [0, 1, 2]);
    const b = worker('b', [0, 1, 2]);
    try {
      await until(() => a.held().length + b.held().length === 3, { what: 'the partitions to be taken' });
      await new Promise((r) => setTimeout(r, TICK_MS * 6));
      assert.deepEqual([...a.held(), ...b.held()].sort(), [0, 1, 2], 'each partition read by exactly one of them');
      await a.close();
      await until(holds(b, [0, 1, 2]), { what: 'the other to take them' });
      for (const partition of [0, 1, 2]) assert.equal(oneReaderAtATime(partition), 'b');
    } finally {
      await Promise.all([a.close(), b.close()]);
      log.length = 0;
    }
  });
});
