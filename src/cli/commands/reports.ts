import { databasePath, loadConfig } from '../../config.ts';
import { openLabelStore } from '../../label/open-store.ts';
import type { LabelStore } from '../../label/store.ts';
import { stderrLogger } from '../../log.ts';
import { isAppeal, ReportStore, type Report, type ReportStatus } from '../../moderation/reports.ts';
import { resolveReport, ResolutionError } from '../../moderation/resolve.ts';
import { openDatabase } from '../../store/database.ts';
import { CliError, UsageError, type Command } from '../command.ts';
import { reportingFailures } from '../failure.ts';
import { BY_OPTION, decidedBy, withLabeler } from '../labeler-session.ts';

const STATUSES: Record<string, ReportStatus[]> = { open: ['open'], upheld: ['upheld'], rejected: ['rejected'], resolved: ['upheld', 'rejected'], all: ['open', 'upheld', 'rejected'] };

const kind = (r: Report) => (isAppeal(r.reasonType) ? `appeal of ${r.appealed?.join(', ')}` : r.reasonType.replace(/^.*#reason/, '').toLowerCase());

function reportId(raw: string): number {
  if (!/^\d+$/.test(raw)) throw new UsageError(`expected a report number (see skysift reports list), got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** Opens the database of DATA_DIR for reading reports, and the label store for label state. */
async function withReports<T>(work: (reports: ReportStore, labels: LabelStore) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const { db } = openDatabase(databasePath(config));
  try {
    const labels = await openLabelStore(config, db, stderrLogger(config.LOG_LEVEL));
    try {
      return await work(new ReportStore(db), labels.store);
    } finally {
      await labels.close();
    }
  } finally {
    db.close();
  }
}

export const reportsList: Command = {
  name: 'reports list',
  summary: 'List reports and appeals received through createReport, newest first (open ones by default).',
  usage: 'reports list [--status open|upheld|rejected|resolved|all] [--limit <n>] [--json]',
  options: {
    status: { type: 'string', value: '<status>', description: 'Which reports: open, upheld, rejected, resolved or all.', default: 'open' },
    limit: { type: 'string', value: '<n>', description: 'At most this many.', default: '50' },
    json: { type: 'boolean', description: 'One JSON object per line.' },
  },
  run: reportingFailures(async ({ values }) => {
    const statuses = STATUSES[String(values.status ?? 'open')];
    if (!statuses) throw new UsageError(`--status must be one of ${Object.keys(STATUSES).join(', ')}`);
    const limit = Number(values.limit ?? 50);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
    return withReports(async (reports) => {
      const found = reports.list(statuses, limit);
      for (const r of found) {
        if (values.json) console.log(JSON.stringify(r));
        else console.log(`#${r.id}\t${r.status}\t${r.createdAt}\t${kind(r)}\t${r.subject.uri}\tby ${r.reportedBy}${r.reason ? `\t${JSON.stringify(r.reason.slice(0, 80))}` : ''}`);
      }
      if (!values.json) console.error(`${found.length} report(s)`);
      return 0;
    });
  }),
};

export const reportsShow: Command = {
  name: 'reports show',
  summary: 'One report in full: reason, subject, reporter, the labels it appeals, the labels on the subject now, and how it was resolved.',
  usage: 'reports show <id> [--json]',
  options: { json: { type: 'boolean', description: 'Print {report, labels} as one JSON object.' } },
  positionals: { min: 1, max: 1 },
  run: reportingFailures(async ({ positionals, values }) => {
    const id = reportId(positionals[0]!);
    return withReports(async (reports, labels) => {
      const report = reports.get(id);
      if (!report) throw new CliError(`there is no report #${id}: see skysift reports list --status all`);
      const state = await labels.forSubject(report.subject.uri);
      if (values.json) {
        console.log(JSON.stringify({ report, labels: state.map(({ val, active, cts, manifestVersion }) => ({ val, active, cts, manifestVersion })) }));
        return 0;
      }
      console.log(`report #${report.id}: ${report.status}`);
      console.log(`  reason type: ${report.reasonType}${isAppeal(report.reasonType) ? ` (appeals ${report.appealed?.join(', ')})` : ''}`);
      if (report.reason) console.log(`  reason: ${JSON.stringify(report.reason)}`);
      console.log(`  subject: ${report.subject.type} ${report.subject.uri}${report.subject.cid ? ` (cid ${report.subject.cid})` : ''}`);
      console.log(`  reported by ${report.reportedBy} at ${report.createdAt}`);
      for (const row of state) console.log(`  label now: ${row.val} ${row.active ? 'applied' : 'negated'} at ${row.cts} (${row.manifestVersion})`);
      if (report.status !== 'open') console.log(`  resolved: ${report.status} by ${report.resolvedBy} at ${report.resolvedAt}: ${report.resolution}`);
      return 0;
    });
  }),
};

export const reportsResolve: Command = {
  name: 'reports resolve',
  summary:
    'Resolve a report. An upheld appeal negates the appealed label by hand (later manifest verdicts do not apply it again); an upheld report applies --label; a rejected one changes no label. Who and why are recorded.',
  usage: 'reports resolve <id> --uphold|--reject --reason <why> [--label <value>] [--by <name>]',
  options: {
    uphold: { type: 'boolean', description: 'The reporter is right.' },
    reject: { type: 'boolean', description: 'The reporter is not; labels stay as they are.' },
    reason: { type: 'string', value: '<why>', description: 'Why, recorded with the resolution.', required: true },
    label: { type: 'string', value: '<value>', description: 'Upheld appeal: which appealed label to lift (default: all). Upheld report: the label the subject earns.' },
    by: BY_OPTION,
  },
  positionals: { min: 1, max: 1 },
  run: reportingFailures(async ({ positionals, values }) => {
    const id = reportId(positionals[0]!);
    if (Boolean(values.uphold) === Boolean(values.reject)) throw new UsageError('say --uphold or --reject (one of them)');
    const config = loadConfig();
    return withLabeler(config, async (labeler, db) => {
      try {
        const { report, changed } = await resolveReport(new ReportStore(db), labeler, {
          id,
          outcome: values.uphold ? 'upheld' : 'rejected',
          by: decidedBy(values.by),
          why: String(values.reason),
          ...(typeof values.label === 'string' ? { label: values.label } : {}),
        });
        console.log(`report #${report.id} ${report.status} by ${report.resolvedBy}`);
        for (const row of changed) console.log(`  ${row.active ? 'labelled' : 'negated'} ${row.val} on ${row.uri}`);
        return 0;
      } catch (error) {
        if (error instanceof ResolutionError) throw new CliError(error.message);
        throw error;
      }
    });
  }),
};
