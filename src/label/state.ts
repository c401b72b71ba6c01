import type { Database } from 'better-sqlite3';

/** One (subject, label value) as we last decided it. */
export interface LabelStateRow {
  uri: string;
  val: string;
  cid: string | null;
  active: boolean;
  cts: string;
  exp: string | null;
  manifestVersion: string;
  explanation: string;
  emitted: boolean;
}

interface RawRow extends Omit<LabelStateRow, 'active' | 'emitted' | 'manifestVersion'> {
  active: number;
  emitted: number;
  manifest_version: string;
}

const fromRaw = (r: RawRow): LabelStateRow => ({
  uri: r.uri,
  val: r.val,
  cid: r.cid,
  active: r.active === 1,
  cts: r.cts,
  exp: r.exp,
  manifestVersion: r.manifest_version,
  explanation: r.explanation,
  emitted: r.emitted === 1,
});

export const activeKey = (uri: string, val: string) => `${uri}\u0000${val}`;

/** The `label_state` table: what is labelled, so that decisions are idempotent and explainable. */
export class LabelState {
  private readonly subjectStmt;
  private readonly unemittedStmt;
  private readonly activeOutsideStmt;
  private readonly upsertStmt;
  private readonly emittedStmt;
  private readonly activeStmt;

  constructor(private readonly db: Database) {
    this.subjectStmt = db.prepare('SELECT * FROM label_state WHERE uri = ? ORDER BY val');
    this.unemittedStmt = db.prepare('SELECT * FROM label_state WHERE emitted = 0');
    this.activeOutsideStmt = db.prepare('SELECT * FROM label_state WHERE active = 1 AND val NOT IN (SELECT value FROM json_each(?)) ORDER BY val, uri');
    this.upsertStmt = db.prepare(`INSERT INTO label_state (uri, val, cid, active, cts, exp, manifest_version, explanation, emitted)
      VALUES (@uri, @val, @cid, @active, @cts, @exp, @manifestVersion, @explanation, 0)
      ON CONFLICT (uri, val) DO UPDATE SET cid = excluded.cid, active = excluded.active, cts = excluded.cts, exp = excluded.exp,
        manifest_version = excluded.manifest_version, explanation = excluded.explanation, emitted = 0`);
    this.emittedStmt = db.prepare('UPDATE label_state SET emitted = 1 WHERE uri = ? AND val = ? AND cts = ?');
    this.activeStmt = db.prepare('SELECT uri, val FROM label_state WHERE active = 1 AND uri IN (SELECT value FROM json_each(?))');
  }

  /** The active labels of these subjects, as `activeKey`s: one query for a whole batch. */
  active(uris: readonly string[]): Set<string> {
    return new Set((this.activeStmt.all(JSON.stringify(uris)) as { uri: string; val: string }[]).map((r) => activeKey(r.uri, r.val)));
  }

  forSubject(uri: string): LabelStateRow[] {
    return (this.subjectStmt.all(uri) as RawRow[]).map(fromRaw);
  }

  unemitted(): LabelStateRow[] {
    return (this.unemittedStmt.all() as RawRow[]).map(fromRaw);
  }

  /** Active labels whose value is not one of `values`. */
  activeOutside(values: ReadonlySet<string>): LabelStateRow[] {
    return (this.activeOutsideStmt.all(JSON.stringify([...values])) as RawRow[]).map(fromRaw);
  }

  /** Records decisions as not yet emitted, all or none. */
  record(rows: readonly Omit<LabelStateRow, 'emitted'>[]): void {
    this.db.transaction(() => {
      for (const row of rows) this.upsertStmt.run({ ...row, active: row.active ? 1 : 0 });
    })();
  }

  markEmitted(rows: readonly Pick<LabelStateRow, 'uri' | 'val' | 'cts'>[]): void {
    this.db.transaction(() => {
      for (const row of rows) this.emittedStmt.run(row.uri, row.val, row.cts);
    })();
  }
}
