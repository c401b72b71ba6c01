import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Database, Statement } from 'better-sqlite3';
import type { StoredLabel } from './label.ts';
import { fromOverrideRow, type OverrideRow } from './override-row.ts';
import { activeKey, BROAD_MATCHES, CursorMoved, eventSeq, type CursorAdvance, type LabelCommit, type LabelOverride, type LabelQuery, type LabelSearch, type LabelStateRow, type LabelStore, type ValueCount } from './store.ts';

/** A `labels` row as SQLite returns it. */
export interface LabelRow {
  id: number;
  seq: number;
  src: string;
  uri: string;
  cid: string | null;
  val: string;
  neg: number;
  cts: string;
  exp: string | null;
  sig: Buffer;
  signed_neg_false: number;
}

/** A `label_state` row as SQLite returns it. */
export interface StateRow extends Omit<LabelStateRow, 'active' | 'manifestVersion'> {
  active: number;
  manifest_version: string;
}

const fromLabelRow = (r: LabelRow): StoredLabel => ({
  id: r.id,
  seq: r.seq,
  src: r.src,
  uri: r.uri,
  cid: r.cid,
  val: r.val,
  neg: r.neg === 1,
  cts: r.cts,
  exp: r.exp,
  sig: new Uint8Array(r.sig.buffer, r.sig.byteOffset, r.sig.byteLength),
  signedNegFalse: r.signed_neg_false === 1,
});

export const fromStateRow = (r: StateRow): LabelStateRow => ({
  uri: r.uri,
  val: r.val,
  cid: r.cid,
  active: r.active === 1,
  cts: r.cts,
  exp: r.exp,
  manifestVersion: r.manifest_version,
  explanation: r.explanation,
});

/** How often the store looks for commits other processes made to the file. */
const OTHER_WRITERS_POLL_MS = 250;

/** Labels read per page of such a walk. */
const WALK_PAGE = 2_000;

/** A prefix pattern's range: every ASCII (indeed every UTF-8) URI starting with the prefix sorts below prefix + U+10FFFF. */
const PREFIX_MATCH = 'l.uri >= p.value AND l.uri < p.value || char(1114111) AND substr(l.uri, 1, length(p.value)) = p.value';

/**
 * The label store in the service's SQLite database (better-sqlite3): `label_state` and the `labels` log
 * (migration 007). better-sqlite3 is synchronous, so a commit is one transaction that nothing can
 * interleave with, and its listeners run right after it.
 */
export class SqliteLabelStore implements LabelStore {
  private readonly listeners = new Set<() => void>();
  private otherWriters: NodeJS.Timeout | undefined;
  private readonly queries = new Map<string, Statement>();
  private readonly stmt;

  constructor(private readonly db: Database) {
    this.stmt = {
      dataVersion: db.prepare('PRAGMA data_version').pluck(),
      lastId: db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'labels'").pluck(),
      head: db.prepare('SELECT max(id) FROM labels').pluck(),
      tail: db.prepare('SELECT min(id) FROM labels').pluck(),
      insertLabel: db.prepare(`INSERT INTO labels (id, seq, src, uri, cid, val, neg, cts, exp, sig, signed_neg_false)
        VALUES (@id, @seq, @src, @uri, @cid, @val, @neg, @cts, @exp, @sig, @signedNegFalse)`),
      range: db.prepare('SELECT * FROM labels WHERE id > ? ORDER BY id LIMIT ?'),
      restOfEvent: db.prepare('SELECT * FROM labels WHERE id > ? AND id <= ? ORDER BY id'),
      upsertState: db.prepare(`INSERT INTO label_state (uri, val, cid, active, cts, exp, manifest_version, explanation)
        VALUES (@uri, @val, @cid, @active, @cts, @exp, @manifestVersion, @explanation)
        ON CONFLICT (uri, val) DO UPDATE SET cid = excluded.cid, active = excluded.active, cts = excluded.cts, exp = excluded.exp,
          manifest_version = excluded.manifest_version, explanation = excluded.explanation`),
      activeState: db.prepare('SELECT * FROM label_state WHERE active = 1 AND uri IN (SELECT value FROM json_each(?))'),
      countPrefix: db.prepare('SELECT count(*) FROM (SELECT 1 FROM labels WHERE uri >= ? AND uri < ? LIMIT ?)').pluck(),
      sources: db.prepare('SELECT src FROM label_sources').pluck(),
      addSource: db.prepare('INSERT OR IGNORE INTO label_sources (src) VALUES (?)'),
      forSubject: db.prepare('SELECT * FROM label_state WHERE uri = ? ORDER BY val'),
      overrides: db.prepare('SELECT * FROM label_overrides WHERE uri IN (SELECT value FROM json_each(?)) ORDER BY uri, val'),
      upsertOverride: db.prepare(`INSERT OR REPLACE INTO label_overrides (uri, val, active, created_at, created_by, reason, report_id,
          manifest_active, manifest_cid, manifest_version, manifest_explanation)
        VALUES (@uri, @val, @active, @createdAt, @createdBy, @reason, @reportId, @manifestActive, @manifestCid, @manifestVersion, @manifestExplanation)`),
      clearOverride: db.prepare('DELETE FROM label_overrides WHERE uri = ? AND val = ?'),
      activeOutside: db.prepare('SELECT * FROM label_state WHERE active = 1 AND val NOT IN (SELECT value FROM json_each(?)) ORDER BY val, uri'),
      search: db.prepare(`SELECT * FROM label_state WHERE (@val IS NULL OR val = @val) AND (@subject IS NULL OR (uri >= @subject AND uri < @subject || char(1114111)))
        AND (@since IS NULL OR cts >= @since) AND (@until IS NULL OR cts < @until) AND (@active IS NULL OR active = @active) ORDER BY cts DESC, uri LIMIT @limit`),
      valueCounts: db.prepare(`SELECT val, sum(active) AS active FROM label_state GROUP BY val ORDER BY val`),
      activeSince: db.prepare('SELECT val, count(*) AS n FROM label_state WHERE active = 1 AND cts >= ? GROUP BY val'),
      cursor: db.prepare('SELECT value FROM kv WHERE key = ?').pluck(),
      moveCursor: db.prepare('INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at'),
    };
  }

  async commit(batch: LabelCommit): Promise<StoredLabel[]> {
    // IMMEDIATE: the write lock before the next id is read, so another writer on the file waits, never collides.
    const stored = this.db.transaction(() => this.append(batch)).immediate();
    if (stored.length) for (const listener of this.listeners) listener();
    return stored;
  }

  /**
   * Writes a batch inside the caller's transaction (the legacy import adds its own rows to the same
   * one); `commit` is this plus the notification. Ids continue from the highest ever assigned.
   */
  append(batch: LabelCommit): StoredLabel[] {
    if (batch.cursor) this.moveCursor(batch.cursor);
    for (const row of batch.state) {
      const { uri, val, cid, cts, exp, manifestVersion, explanation } = row;
      this.stmt.upsertState.run({ uri, val, cid, active: row.active ? 1 : 0, cts, exp, manifestVersion, explanation });
    }
    for (const { uri, val } of batch.clearedOverrides ?? []) this.stmt.clearOverride.run(uri, val);
    for (const o of batch.overrides ?? []) {
      const { manifest, uri, val, createdAt, createdBy, reason, reportId } = o;
      this.stmt.upsertOverride.run({
        uri,
        val,
        createdAt,
        createdBy,
        reason,
        reportId,
        active: o.active ? 1 : 0,
        manifestActive: manifest.active ? 1 : 0,
        manifestCid: manifest.cid,
        manifestVersion: manifest.manifestVersion,
        manifestExplanation: manifest.explanation,
      });
    }
    for (const src of new Set(batch.labels.map((l) => l.src))) this.stmt.addSource.run(src);
    const first = ((this.stmt.lastId.get() as number | undefined) ?? 0) + 1;
    return batch.labels.map((label, i) => {
      const id = first + i;
      const seq = eventSeq(first, batch.labels.length, i);
      this.stmt.insertLabel.run({
        id,
        seq,
        src: label.src,
        uri: label.uri,
        cid: label.cid,
        val: label.val,
        neg: label.neg ? 1 : 0,
        cts: label.cts,
        exp: label.exp,
        sig: Buffer.from(label.sig.buffer, label.sig.byteOffset, label.sig.byteLength),
        signedNegFalse: label.signedNegFalse ? 1 : 0,
      });
      return { ...label, id, seq };
    });
  }

  /** Stream cursors live in the `kv` table beside the Jetstream cursor, under `cursor:<name>`. */
  private moveCursor(cursor: CursorAdvance): void {
    const key = `cursor:${cursor.name}`;
    const stored = this.stmt.cursor.get(key) as string | undefined;
    if (Number(stored ?? 0) !== cursor.from) throw new CursorMoved(cursor);
    this.stmt.moveCursor.run(key, String(cursor.to), new Date().toISOString());
  }

  async cursor(name: string): Promise<number> {
    return Number((this.stmt.cursor.get(`cursor:${name}`) as string | undefined) ?? 0);
  }

  onCommit(listener: () => void): () => void {
    this.listeners.add(listener);
    this.watchOtherWriters();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size) return;
      clearInterval(this.otherWriters);
      this.otherWriters = undefined;
    };
  }

  /**
   * Commits of other processes on the same file (`skysift label`, `skysift reports resolve` while the
   * service runs) change SQLite's `data_version`; checking it a few times a second wakes the
   * listeners for them too.
   */
  private watchOtherWriters(): void {
    if (this.otherWriters) return;
    let seen = this.stmt.dataVersion.get() as number;
    this.otherWriters = setInterval(() => {
      const now = this.stmt.dataVersion.get() as number;
      if (now === seen) return;
      seen = now;
      for (const listener of this.listeners) listener();
    }, OTHER_WRITERS_POLL_MS);
    this.otherWriters.unref();
  }

  async head(): Promise<number> {
    return (this.stmt.head.get() as number | null) ?? 0;
  }

  async tail(): Promise<number> {
    return (this.stmt.tail.get() as number | null) ?? (await this.head()) + 1;
  }

  async range(after: number, limit: number): Promise<StoredLabel[]> {
    const rows = this.stmt.range.all(after, limit) as LabelRow[];
    const last = rows[rows.length - 1];
    if (last && last.id < last.seq) rows.push(...(this.stmt.restOfEvent.all(last.id, last.seq) as LabelRow[]));
    return rows.map(fromLabelRow);
  }

  /**
   * Narrow patterns find their labels through the (uri, id) index, with exact URIs and prefixes passed
   * as JSON arrays (json_each): a thousand patterns are one parameter each, not a thousand-deep OR. When
   * prefixes match many labels (`at://*`), gathering them all to sort would cost as much as the log, so
   * the log is walked in order instead, a page at a time with a turn of the event loop between pages;
   * with that many matches, `limit` of them come soon.
   */
  async query(q: LabelQuery): Promise<StoredLabel[]> {
    const known = this.stmt.sources.all() as string[];
    const sources = q.sources.filter((s) => known.includes(s));
    if (q.sources.length && !sources.length) return [];
    const filterSources = sources.length > 0 && sources.length < known.length;
    const all = q.prefixes.includes('');
    if (!all && this.isBroad(q.prefixes)) return this.walk(q, filterSources ? new Set(sources) : undefined);
    const key = `${all}:${filterSources}`;
    let stmt = this.queries.get(key);
    if (!stmt) {
      const subject = all
        ? ''
        : `AND id IN (SELECT id FROM labels WHERE uri IN (SELECT value FROM json_each(@uris)) AND id > @after
             UNION SELECT l.id FROM json_each(@prefixes) p CROSS JOIN labels l WHERE ${PREFIX_MATCH} AND +l.id > @after)`;
      const source = filterSources ? 'AND src IN (SELECT value FROM json_each(@sources))' : '';
      stmt = this.db.prepare(`SELECT * FROM labels WHERE id > @after ${subject} ${source} ORDER BY id LIMIT @limit`);
      this.queries.set(key, stmt);
    }
    const params = {
      after: q.after,
      limit: q.limit,
      ...(all ? {} : { uris: JSON.stringify(q.uris), prefixes: JSON.stringify(q.prefixes) }),
      ...(filterSources ? { sources: JSON.stringify(sources) } : {}),
    };
    return (stmt.all(params) as LabelRow[]).map(fromLabelRow);
  }

  /** Whether the prefixes match more labels than the index plan should gather and sort (counted up to that many). */
  private isBroad(prefixes: readonly string[]): boolean {
    let matches = 0;
    for (const prefix of prefixes) {
      matches += this.stmt.countPrefix.get(prefix, `${prefix}\u{10FFFF}`, BROAD_MATCHES) as number;
      if (matches >= BROAD_MATCHES) return true;
    }
    return false;
  }

  private async walk(q: LabelQuery, sources: ReadonlySet<string> | undefined): Promise<StoredLabel[]> {
    const exact = new Set(q.uris);
    // Prefix-free and sorted, a URI can only start with the greatest prefix not above it.
    const prefixes: string[] = [];
    for (const prefix of [...q.prefixes].sort()) if (!prefixes.length || !prefix.startsWith(prefixes[prefixes.length - 1]!)) prefixes.push(prefix);
    const matches = (uri: string) => {
      if (exact.has(uri)) return true;
      let lo = 0;
      let hi = prefixes.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (prefixes[mid]! <= uri) lo = mid + 1;
        else hi = mid - 1;
      }
      return hi >= 0 && uri.startsWith(prefixes[hi]!);
    };
    const found: LabelRow[] = [];
    for (let after = q.after; found.length < q.limit; await nextTurn()) {
      const page = this.stmt.range.all(after, WALK_PAGE) as LabelRow[];
      for (const row of page) if (found.length < q.limit && matches(row.uri) && (!sources || sources.has(row.src))) found.push(row);
      if (page.length < WALK_PAGE) break;
      after = page[page.length - 1]!.id;
    }
    return found.map(fromLabelRow);
  }

  async activeState(uris: readonly string[]): Promise<Map<string, LabelStateRow>> {
    const rows = (this.stmt.activeState.all(JSON.stringify(uris)) as StateRow[]).map(fromStateRow);
    return new Map(rows.map((r) => [activeKey(r.uri, r.val), r]));
  }

  async forSubject(uri: string): Promise<LabelStateRow[]> {
    return (this.stmt.forSubject.all(uri) as StateRow[]).map(fromStateRow);
  }

  async overrides(uris: readonly string[]): Promise<Map<string, LabelOverride>> {
    const rows = (this.stmt.overrides.all(JSON.stringify(uris)) as OverrideRow[]).map(fromOverrideRow);
    return new Map(rows.map((o) => [activeKey(o.uri, o.val), o]));
  }

  async activeOutside(values: ReadonlySet<string>): Promise<LabelStateRow[]> {
    return (this.stmt.activeOutside.all(JSON.stringify([...values])) as StateRow[]).map(fromStateRow);
  }

  async search({ val, subject, since, until, active, limit }: LabelSearch): Promise<LabelStateRow[]> {
    const params = { val: val ?? null, subject: subject ?? null, since: since ?? null, until: until ?? null, active: active === undefined ? null : Number(active), limit };
    return (this.stmt.search.all(params) as StateRow[]).map(fromStateRow);
  }

  async valueCounts(since: readonly string[]): Promise<ValueCount[]> {
    const counts = (this.stmt.valueCounts.all() as { val: string; active: number }[]).map(({ val, active }) => ({ val, active, activeSince: since.map(() => 0) }));
    since.forEach((time, t) => {
      for (const { val, n } of this.stmt.activeSince.all(time) as { val: string; n: number }[]) {
        const count = counts.find((c) => c.val === val);
        if (count) count.activeSince[t] = n;
      }
    });
    return counts;
  }
}
