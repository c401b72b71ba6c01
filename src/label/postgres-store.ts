import type { Logger } from '../log.ts';
import type { Pool, PoolClient } from '../store/postgres.ts';
import type { LabelFields, StoredLabel } from './label.ts';
import { fromOverrideRow, type OverrideRow } from './override-row.ts';
import { activeKey, BROAD_MATCHES, CursorMoved, eventSeq, type CursorAdvance, type LabelCommit, type LabelOverride, type LabelQuery, type LabelSearch, type LabelStateRow, type LabelStore, type ValueCount } from './store.ts';

/** A `labels` row as node-postgres returns it (BIGINT as a string). */
interface LabelRow extends LabelFields {
  id: string;
  seq: string;
  sig: Buffer;
  signed_neg_false: boolean;
}

interface StateRow extends Omit<LabelStateRow, 'manifestVersion'> {
  manifest_version: string;
}

const fromLabelRow = (r: LabelRow): StoredLabel => ({
  id: Number(r.id),
  seq: Number(r.seq),
  src: r.src,
  uri: r.uri,
  cid: r.cid,
  val: r.val,
  neg: r.neg,
  cts: r.cts,
  exp: r.exp,
  sig: new Uint8Array(r.sig.buffer, r.sig.byteOffset, r.sig.byteLength),
  signedNegFalse: r.signed_neg_false,
});

/** Rows → one array per column, for `unnest`: a batch is one statement whatever its size. */
const columns = <T>(rows: readonly T[], row: (r: T) => unknown[]): unknown[][] => {
  const out: unknown[][] = row(rows[0]!).map(() => []);
  for (const r of rows) row(r).forEach((value, i) => out[i]!.push(value));
  return out;
};

const fromStateRow = ({ manifest_version, ...row }: StateRow): LabelStateRow => ({ ...row, manifestVersion: manifest_version });

/** One row per (uri, val): the last word on it in this batch, as a sequence of upserts would leave it. */
const lastPerKey = <T extends { uri: string; val: string }>(rows: readonly T[]): T[] => [...new Map(rows.map((row) => [activeKey(row.uri, row.val), row])).values()];

/** Held, per transaction, by whoever assigns label ids: any constant of ours. */
const LABEL_LOG_LOCK = 0x736b7973_0002;
/** Commits tell every process's store through this channel (LISTEN/NOTIFY, delivered on commit). */
const CHANNEL = 'skysift_labels';
const RELISTEN_MS = 1_000;

/** `uri` starts with the prefix `p`: a range of the (uri, id) index in the "C" collation. */
const prefixMatch = (uri: string) => `${uri} >= p COLLATE "C" AND ${uri} < (p || chr(1114111)) COLLATE "C" AND starts_with(${uri}, p)`;

/**
 * The label store on PostgreSQL (migrations/postgres/), for processes that share one label log: workers
 * commit to it, label servers serve from it. Ids are assigned under a transaction-scoped advisory lock
 * held until the commit, so they become visible in the order they were assigned: a reader never sees
 * id n+1 before id n, which a sequence (whose values commit in any order) would allow. Every commit
 * notifies `skysift_labels`; each store LISTENs on it, so a label server hears of commits made anywhere.
 */
export class PostgresLabelStore implements LabelStore {
  private readonly listeners = new Set<() => void>();
  private listening: PoolClient | undefined;
  private relisten: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
  ) {}

  /** The store on `pool` (whose schema `openPostgres` brought up to date), listening for commits. */
  static async open(pool: Pool, logger: Logger): Promise<PostgresLabelStore> {
    const store = new PostgresLabelStore(pool, logger);
    await store.listen();
    return store;
  }

  /** Stops listening; the pool stays its owner's to end. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.relisten);
    const client = this.listening;
    this.listening = undefined;
    if (client) {
      await client.query(`UNLISTEN ${CHANNEL}`).catch(() => undefined);
      client.release();
    }
  }

  private async listen(): Promise<void> {
    const client = await this.pool.connect();
    client.on('notification', () => this.tell());
    client.on('error', (error) => {
      if (this.listening !== client) return;
      this.listening = undefined;
      client.release(error);
      this.logger.warn({ err: error }, 'lost the PostgreSQL connection that listens for label commits; reconnecting');
      this.scheduleRelisten();
    });
    await client.query(`LISTEN ${CHANNEL}`);
    this.listening = client;
  }

  private scheduleRelisten(): void {
    if (this.closed) return;
    this.relisten = setTimeout(() => {
      this.listen()
        // Commits made while nobody listened are found by the next read: tell the listeners to read.
        .then(() => this.tell())
        .catch(() => this.scheduleRelisten());
    }, RELISTEN_MS);
  }

  private tell(): void {
    for (const listener of this.listeners) listener();
  }

  async commit(batch: LabelCommit): Promise<StoredLabel[]> {
    const stored = await this.transaction(async (client) => {
      // First: the cursor row's lock makes a second process applying the same events wait here, then fail.
      if (batch.cursor) await this.moveCursor(client, batch.cursor);
      const state = lastPerKey(batch.state);
      if (state.length) {
        await client.query(
          `INSERT INTO label_state (uri, val, cid, active, cts, exp, manifest_version, explanation)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::text[], $6::text[], $7::text[], $8::text[])
           ON CONFLICT (uri, val) DO UPDATE SET cid = excluded.cid, active = excluded.active, cts = excluded.cts, exp = excluded.exp,
             manifest_version = excluded.manifest_version, explanation = excluded.explanation`,
          columns(state, (r) => [r.uri, r.val, r.cid, r.active, r.cts, r.exp, r.manifestVersion, r.explanation]),
        );
      }
      await this.writeOverrides(client, batch);
      const { labels } = batch;
      if (!labels.length) return [];
      await client.query('INSERT INTO label_sources (src) SELECT DISTINCT unnest($1::text[]) ON CONFLICT DO NOTHING', [labels.map((l) => l.src)]);
      // Everything before this line runs concurrently with other writers; from here to COMMIT, one at a time.
      await client.query('SELECT pg_advisory_xact_lock($1)', [LABEL_LOG_LOCK]);
      const { rows } = await client.query<{ last: string }>('UPDATE label_log_head SET id = id + $1 RETURNING id AS last', [labels.length]);
      const first = Number(rows[0]!.last) - labels.length + 1;
      const out = labels.map((label, i) => ({ ...label, id: first + i, seq: eventSeq(first, labels.length, i) }));
      await client.query(
        `INSERT INTO labels (id, seq, src, uri, cid, val, neg, cts, exp, sig, signed_neg_false)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::text[], $9::text[], $10::bytea[], $11::boolean[])`,
        columns(out, (l) => [l.id, l.seq, l.src, l.uri, l.cid, l.val, l.neg, l.cts, l.exp, Buffer.from(l.sig.buffer, l.sig.byteOffset, l.sig.byteLength), l.signedNegFalse]),
      );
      await client.query(`SELECT pg_notify('${CHANNEL}', '')`);
      return out;
    });
    if (stored.length) this.tell();
    return stored;
  }

  private async moveCursor(client: PoolClient, cursor: CursorAdvance): Promise<void> {
    const { rowCount } =
      cursor.from === 0
        ? await client.query('INSERT INTO stream_cursors (name, position) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET position = excluded.position WHERE stream_cursors.position = 0', [cursor.name, cursor.to])
        : await client.query('UPDATE stream_cursors SET position = $3 WHERE name = $1 AND position = $2', [cursor.name, cursor.from, cursor.to]);
    if (!rowCount) throw new CursorMoved(cursor);
  }

  async cursor(name: string): Promise<number> {
    const { rows } = await this.pool.query<{ position: string }>('SELECT position FROM stream_cursors WHERE name = $1', [name]);
    return Number(rows[0]?.position ?? 0);
  }

  /** Cleared overrides go first, then written ones replace what is there (as SQLite's INSERT OR REPLACE does). */
  private async writeOverrides(client: PoolClient, batch: LabelCommit): Promise<void> {
    const cleared = batch.clearedOverrides ?? [];
    if (cleared.length) {
      await client.query(
        'DELETE FROM label_overrides o USING unnest($1::text[], $2::text[]) AS c (uri, val) WHERE o.uri = c.uri AND o.val = c.val',
        columns(cleared, (c) => [c.uri, c.val]),
      );
    }
    const written = lastPerKey(batch.overrides ?? []);
    if (!written.length) return;
    await client.query(
      `INSERT INTO label_overrides (uri, val, active, created_at, created_by, reason, report_id, manifest_active, manifest_cid, manifest_version, manifest_explanation)
       SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[], $4::text[], $5::text[], $6::text[], $7::integer[], $8::boolean[], $9::text[], $10::text[], $11::text[])
       ON CONFLICT (uri, val) DO UPDATE SET active = excluded.active, created_at = excluded.created_at, created_by = excluded.created_by, reason = excluded.reason,
         report_id = excluded.report_id, manifest_active = excluded.manifest_active, manifest_cid = excluded.manifest_cid,
         manifest_version = excluded.manifest_version, manifest_explanation = excluded.manifest_explanation`,
      columns(written, (o) => [
        o.uri,
        o.val,
        o.active,
        o.createdAt,
        o.createdBy,
        o.reason,
        o.reportId,
        o.manifest.active,
        o.manifest.cid,
        o.manifest.manifestVersion,
        o.manifest.explanation,
      ]),
    );
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  onCommit(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async head(): Promise<number> {
    const { rows } = await this.pool.query<{ id: string | null }>('SELECT max(id) AS id FROM labels');
    return Number(rows[0]!.id ?? 0);
  }

  async tail(): Promise<number> {
    const { rows } = await this.pool.query<{ id: string | null }>('SELECT min(id) AS id FROM labels');
    return rows[0]!.id === null ? (await this.head()) + 1 : Number(rows[0]!.id);
  }

  async range(after: number, limit: number): Promise<StoredLabel[]> {
    const rows = (await this.pool.query<LabelRow>('SELECT * FROM labels WHERE id > $1 ORDER BY id LIMIT $2', [after, limit])).rows;
    const last = rows[rows.length - 1];
    if (last && Number(last.id) < Number(last.seq)) {
      rows.push(...(await this.pool.query<LabelRow>('SELECT * FROM labels WHERE id > $1 AND id <= $2 ORDER BY id', [last.id, last.seq])).rows);
    }
    return rows.map(fromLabelRow);
  }

  /**
   * Narrow patterns gather their labels through the (uri, id) index; prefixes that match many labels
   * (`at://*`) instead walk the log in id order with the patterns as a filter, where `limit` matches
   * come soon. Both are one statement, the patterns passed as arrays.
   */
  async query(q: LabelQuery): Promise<StoredLabel[]> {
    const params: unknown[] = [q.after, q.limit];
    const param = (value: unknown) => `$${params.push(value)}`;
    let subject = '';
    if (!q.prefixes.includes('')) {
      const uris = param(q.uris);
      const prefixes = param(q.prefixes);
      subject = (await this.isBroad(q.prefixes))
        ? `AND (uri = ANY(${uris}::text[]) OR EXISTS (SELECT 1 FROM unnest(${prefixes}::text[]) p WHERE ${prefixMatch('labels.uri')}))`
        : `AND id IN (SELECT id FROM labels WHERE uri = ANY(${uris}::text[]) AND id > $1
             UNION SELECT l.id FROM unnest(${prefixes}::text[]) p CROSS JOIN labels l WHERE ${prefixMatch('l.uri')} AND l.id > $1)`;
    }
    const source = q.sources.length ? `AND src = ANY(${param(q.sources)}::text[])` : '';
    const { rows } = await this.pool.query<LabelRow>(`SELECT * FROM labels WHERE id > $1 ${subject} ${source} ORDER BY id LIMIT $2`, params);
    return rows.map(fromLabelRow);
  }

  /** Whether the prefixes match more labels than the index plan should gather and sort (counted up to that many). */
  private async isBroad(prefixes: readonly string[]): Promise<boolean> {
    if (!prefixes.length) return false;
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM unnest($1::text[]) p CROSS JOIN labels l WHERE ${prefixMatch('l.uri')} LIMIT $2) matches`,
      [prefixes, BROAD_MATCHES],
    );
    return Number(rows[0]!.n) >= BROAD_MATCHES;
  }

  async activeState(uris: readonly string[]): Promise<Map<string, LabelStateRow>> {
    const { rows } = await this.pool.query<StateRow>('SELECT * FROM label_state WHERE active AND uri = ANY($1::text[])', [uris]);
    return new Map(rows.map((r) => [activeKey(r.uri, r.val), fromStateRow(r)]));
  }

  async forSubject(uri: string): Promise<LabelStateRow[]> {
    const { rows } = await this.pool.query<StateRow>('SELECT * FROM label_state WHERE uri = $1 ORDER BY val COLLATE "C"', [uri]);
    return rows.map(fromStateRow);
  }

  async overrides(uris: readonly string[]): Promise<Map<string, LabelOverride>> {
    const { rows } = await this.pool.query<OverrideRow>('SELECT * FROM label_overrides WHERE uri = ANY($1::text[]) ORDER BY uri, val COLLATE "C"', [uris]);
    return new Map(rows.map((r) => [activeKey(r.uri, r.val), fromOverrideRow(r)]));
  }

  async activeOutside(values: ReadonlySet<string>): Promise<LabelStateRow[]> {
    const { rows } = await this.pool.query<StateRow>('SELECT * FROM label_state WHERE active AND NOT (val = ANY($1::text[])) ORDER BY val COLLATE "C", uri', [[...values]]);
    return rows.map(fromStateRow);
  }

  async search({ val, subject, since, until, active, limit }: LabelSearch): Promise<LabelStateRow[]> {
    const { rows } = await this.pool.query<StateRow>(
      `SELECT * FROM label_state WHERE ($1::text IS NULL OR val = $1) AND ($2::text IS NULL OR starts_with(uri, $2)) AND ($3::text IS NULL OR cts >= $3)
        AND ($4::text IS NULL OR cts < $4) AND ($5::boolean IS NULL OR active = $5) ORDER BY cts DESC, uri LIMIT $6`,
      [val ?? null, subject ?? null, since ?? null, until ?? null, active ?? null, limit],
    );
    return rows.map(fromStateRow);
  }

  async valueCounts(since: readonly string[]): Promise<ValueCount[]> {
    const { rows } = await this.pool.query<{ val: string; active: string }>('SELECT val, count(*) FILTER (WHERE active) AS active FROM label_state GROUP BY val ORDER BY val COLLATE "C"');
    const counts = rows.map((r) => ({ val: r.val, active: Number(r.active), activeSince: since.map(() => 0) }));
    for (const [t, time] of since.entries()) {
      const recent = await this.pool.query<{ val: string; n: string }>('SELECT val, count(*) AS n FROM label_state WHERE active AND cts >= $1 GROUP BY val', [time]);
      for (const { val, n } of recent.rows) {
        const count = counts.find((c) => c.val === val);
        if (count) count.activeSince[t] = Number(n);
      }
    }
    return counts;
  }

}
