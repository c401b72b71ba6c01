import type { Database } from 'better-sqlite3';

export type ReportStatus = 'open' | 'upheld' | 'rejected';
export type SubjectType = 'account' | 'record';

/** A report as received: about an account (`uri` is its DID) or a record (an at-uri, with the cid reported). */
export interface ReportSubject {
  type: SubjectType;
  uri: string;
  cid: string | null;
}

export interface NewReport {
  reasonType: string;
  reason: string | null;
  subject: ReportSubject;
  reportedBy: string;
  createdAt: string;
  /** For an appeal: the values of our labels active on the subject, the labels it contests. */
  appealed: string[] | null;
}

export interface Report extends NewReport {
  id: number;
  status: ReportStatus;
  resolvedAt: string | null;
  resolvedBy: string | null;
  resolution: string | null;
}

interface ReportRow {
  id: number;
  reason_type: string;
  reason: string | null;
  subject_type: SubjectType;
  subject: string;
  subject_cid: string | null;
  reported_by: string;
  created_at: string;
  appealed: string | null;
  status: ReportStatus;
  resolved_at: string | null;
  resolved_by: string | null;
  resolution: string | null;
}

const fromRow = (r: ReportRow): Report => ({
  id: r.id,
  reasonType: r.reason_type,
  reason: r.reason,
  subject: { type: r.subject_type, uri: r.subject, cid: r.subject_cid },
  reportedBy: r.reported_by,
  createdAt: r.created_at,
  appealed: r.appealed === null ? null : (JSON.parse(r.appealed) as string[]),
  status: r.status,
  resolvedAt: r.resolved_at,
  resolvedBy: r.resolved_by,
  resolution: r.resolution,
});

/** Whether a reason type is an appeal of a label (`reasonAppeal` in either namespace clients use). */
export const isAppeal = (reasonType: string) => reasonType.endsWith('#reasonAppeal');

/** The reports table (migration 009): reports received, and how each was resolved, by whom and why. */
export class ReportStore {
  private readonly stmt;

  constructor(db: Database) {
    this.stmt = {
      insert: db.prepare(`INSERT INTO reports (reason_type, reason, subject_type, subject, subject_cid, reported_by, created_at, appealed)
        VALUES (@reasonType, @reason, @subjectType, @subject, @subjectCid, @reportedBy, @createdAt, @appealed) RETURNING *`),
      get: db.prepare('SELECT * FROM reports WHERE id = ?'),
      openAppeal: db.prepare("SELECT * FROM reports WHERE reported_by = ? AND subject = ? AND status = 'open' AND reason_type LIKE '%#reasonAppeal' ORDER BY id LIMIT 1"),
      list: db.prepare('SELECT * FROM reports WHERE status IN (SELECT value FROM json_each(?)) ORDER BY id DESC LIMIT ?'),
      resolve: db.prepare("UPDATE reports SET status = @status, resolved_at = @at, resolved_by = @by, resolution = @why WHERE id = @id AND status = 'open'"),
      counts: db.prepare('SELECT status, count(*) AS n FROM reports GROUP BY status'),
    };
  }

  add(report: NewReport): Report {
    const { subject, appealed, ...rest } = report;
    const row = this.stmt.insert.get({
      ...rest,
      subjectType: subject.type,
      subject: subject.uri,
      subjectCid: subject.cid,
      appealed: appealed === null ? null : JSON.stringify(appealed),
    }) as ReportRow;
    return fromRow(row);
  }

  get(id: number): Report | undefined {
    const row = this.stmt.get.get(id) as ReportRow | undefined;
    return row && fromRow(row);
  }

  /** The open appeal this reporter already made on this subject, if any: a repeated appeal is the same one. */
  openAppeal(reportedBy: string, subject: string): Report | undefined {
    const row = this.stmt.openAppeal.get(reportedBy, subject) as ReportRow | undefined;
    return row && fromRow(row);
  }

  /** The newest reports with one of these statuses first. */
  list(statuses: readonly ReportStatus[], limit: number): Report[] {
    return (this.stmt.list.all(JSON.stringify(statuses), limit) as ReportRow[]).map(fromRow);
  }

  /** Resolves an open report; false when it is not open (resolved already, or no such report). */
  resolve(id: number, resolution: { status: Exclude<ReportStatus, 'open'>; by: string; why: string; at: string }): boolean {
    return this.stmt.resolve.run({ id, ...resolution }).changes === 1;
  }

  counts(): Record<ReportStatus, number> {
    const counts: Record<ReportStatus, number> = { open: 0, upheld: 0, rejected: 0 };
    for (const { status, n } of this.stmt.counts.all() as { status: ReportStatus; n: number }[]) counts[status] = n;
    return counts;
  }
}
