import { activeKey, type LabelOverride, type LabelStateRow, type SubjectValue } from './store.ts';

/** One batch's changes, registered until its commit settles. */
export interface PendingBatch {
  readonly state: readonly LabelStateRow[];
  readonly overrides: readonly LabelOverride[];
  readonly clearedOverrides: readonly SubjectValue[];
}

/**
 * Label state and overrides decided but not yet committed (a batch being signed while the next one is
 * decided). The next batch reads the store through this overlay, so it decides against what will be
 * committed before it, never against what is committed so far. A batch's entries leave when its commit
 * settles; a later batch's entries on the same key, if any, stay.
 */
export class PendingChanges {
  private readonly state = new Map<string, LabelStateRow>();
  /** By `activeKey`: an override written, or null for one removed, with its subject. */
  private readonly overrides = new Map<string, { uri: string; override: LabelOverride | null }>();

  add(batch: PendingBatch): void {
    for (const row of batch.state) this.state.set(activeKey(row.uri, row.val), row);
    for (const o of batch.overrides) this.overrides.set(activeKey(o.uri, o.val), { uri: o.uri, override: o });
    for (const s of batch.clearedOverrides) this.overrides.set(activeKey(s.uri, s.val), { uri: s.uri, override: null });
  }

  remove(batch: PendingBatch): void {
    for (const row of batch.state) {
      const key = activeKey(row.uri, row.val);
      if (this.state.get(key) === row) this.state.delete(key);
    }
    for (const o of batch.overrides) {
      const key = activeKey(o.uri, o.val);
      if (this.overrides.get(key)?.override === o) this.overrides.delete(key);
    }
    for (const s of batch.clearedOverrides) {
      const key = activeKey(s.uri, s.val);
      if (this.overrides.get(key)?.override === null) this.overrides.delete(key);
    }
  }

  /** The committed active state of `uris` (keyed by `activeKey`) with pending changes on them applied, in place. */
  activeState(committed: Map<string, LabelStateRow>, uris: ReadonlySet<string>): Map<string, LabelStateRow> {
    for (const [key, row] of this.state) {
      if (!uris.has(row.uri)) continue;
      if (row.active) committed.set(key, row);
      else committed.delete(key);
    }
    return committed;
  }

  /** The committed overrides of `uris` with pending writes and removals applied, in place. */
  overridesOf(committed: Map<string, LabelOverride>, uris: ReadonlySet<string>): Map<string, LabelOverride> {
    for (const [key, { uri, override }] of this.overrides) {
      if (!uris.has(uri)) continue;
      if (override) committed.set(key, override);
      else committed.delete(key);
    }
    return committed;
  }
}
