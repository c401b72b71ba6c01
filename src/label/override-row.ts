import type { LabelOverride } from './store.ts';

/** A `label_overrides` row as either store's driver returns it: booleans are 0/1 in SQLite, true/false in PostgreSQL. */
export interface OverrideRow {
  uri: string;
  val: string;
  active: number | boolean;
  created_at: string;
  created_by: string;
  reason: string | null;
  report_id: number | null;
  manifest_active: number | boolean;
  manifest_cid: string | null;
  manifest_version: string | null;
  manifest_explanation: string | null;
}

export const fromOverrideRow = (r: OverrideRow): LabelOverride => ({
  uri: r.uri,
  val: r.val,
  active: Boolean(r.active),
  createdAt: r.created_at,
  createdBy: r.created_by,
  reason: r.reason,
  reportId: r.report_id,
  manifest: { active: Boolean(r.manifest_active), cid: r.manifest_cid, manifestVersion: r.manifest_version, explanation: r.manifest_explanation },
});
