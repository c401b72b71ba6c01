import type { Labeler } from '../label/index.ts';
import type { LabelStateRow } from '../label/store.ts';
import { isAppeal, type Report, type ReportStore } from './reports.ts';

export interface Resolution {
  id: number;
  outcome: 'upheld' | 'rejected';
  by: string;
  why: string;
  /**
   * The label the decision is about: for an upheld appeal, which of the appealed labels to lift (default:
   * all of them); for another upheld report, the label the subject earns (required).
   */
  label?: string;
}

/** A resolution that cannot be made as asked: said in one line, nothing changed. */
export class ResolutionError extends Error {}

/**
 * Resolves an open report. An upheld appeal negates the appealed labels by hand (an override that later
 * verdicts do not undo); another upheld report applies the label it names, likewise; a rejected one
 * changes no label. The report records who resolved it, when and why. Returns the label changes.
 */
export async function resolveReport(reports: ReportStore, labeler: Labeler, resolution: Resolution): Promise<{ report: Report; changed: LabelStateRow[] }> {
  const report = reports.get(resolution.id);
  if (!report) throw new ResolutionError(`there is no report #${resolution.id}`);
  if (report.status !== 'open') throw new ResolutionError(`report #${report.id} is already resolved (${report.status} by ${report.resolvedBy} at ${report.resolvedAt})`);
  const values = labelsDecided(report, resolution);
  const changed: LabelStateRow[] = [];
  for (const val of values) {
    const decision = { uri: report.subject.uri, val, active: !isAppeal(report.reasonType), by: resolution.by, reason: resolution.why, reportId: report.id };
    const row = await labeler.override(report.subject.cid && decision.active ? { ...decision, cid: report.subject.cid } : decision);
    if (row) changed.push(row);
  }
  const at = new Date().toISOString();
  if (!reports.resolve(report.id, { status: resolution.outcome, by: resolution.by, why: resolution.why, at })) throw new ResolutionError(`report #${report.id} was resolved by someone else meanwhile`);
  return { report: reports.get(report.id)!, changed };
}

/** The label values an upheld report changes (none for a rejected one). */
function labelsDecided(report: Report, resolution: Resolution): string[] {
  if (resolution.outcome === 'rejected') return [];
  if (isAppeal(report.reasonType)) {
    const appealed = report.appealed ?? [];
    if (resolution.label === undefined) return appealed;
    if (!appealed.includes(resolution.label)) throw new ResolutionError(`report #${report.id} appeals ${appealed.join(', ')}, not ${resolution.label}`);
    return [resolution.label];
  }
  if (resolution.label === undefined) throw new ResolutionError(`report #${report.id} is not an appeal: say which label the subject earns with --label <value>, or reject it`);
  return [resolution.label];
}
