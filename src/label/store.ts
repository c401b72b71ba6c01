import type { SignedLabel, StoredLabel } from './label.ts';

/** One (subject, label value) as we last decided it: what is labelled, why, and with which cid. */
export interface LabelStateRow {
  uri: string;
  val: string;
  /** The cid the label was issued for; a negation keeps the cid of the label it negates. */
  cid: string | null;
  active: boolean;
  cts: string;
  exp: string | null;
  manifestVersion: string;
  explanation: string;
}

/** The labels and the label state one decision batch changes: committed together or not at all. */
export interface LabelCommit {
  labels: readonly SignedLabel[];
  state: readonly LabelStateRow[];
}

/** queryLabels: labels after `after` (an id), in log order, matching any pattern and any source. */
export interface LabelQuery {
  /** Exact subject URIs. */
  uris: readonly string[];
  /** URI prefixes (`prefix*` patterns); `''` matches every label. */
  prefixes: readonly string[];
  /** Label sources (DIDs); empty: any. */
  sources: readonly string[];
  after: number;
  limit: number;
}

export const activeKey = (uri: string, val: string) => `${uri}\u0000${val}`;

/** Labels of one commit are served in subscribeLabels events of at most this many labels. */
export const MAX_LABELS_PER_EVENT = 100;

/**
 * The one label store: label state, the signed labels and their sequence, in one place. SQLite on one
 * machine (`SqliteLabelStore`); the cluster mode gives it a PostgreSQL implementation. What every
 * implementation guarantees:
 * - `commit` writes state and labels in one transaction; ids are assigned in commit order and never
 *   reused, so a reader never sees id n+1 before id n (PostgreSQL: assign them under a lock taken in
 *   the transaction, not from a sequence whose values commit out of order);
 * - the labels of a commit are grouped into events of at most MAX_LABELS_PER_EVENT, each event's seq
 *   being the id of its last label;
 * - `onCommit` listeners run after the commit is durable (PostgreSQL: LISTEN/NOTIFY), never before.
 */
export interface LabelStore {
  /** Commits the batch; returns its labels as stored. Listeners are told after the commit. */
  commit(batch: LabelCommit): Promise<StoredLabel[]>;
  /** Calls `listener` after every commit; returns the unsubscribe. */
  onCommit(listener: () => void): () => void;
  /** The highest id committed (0 when none): a subscribeLabels cursor above it is in the future. */
  head(): Promise<number>;
  /** The lowest id still stored (head + 1 when none). */
  tail(): Promise<number>;
  /** Labels with id > `after`, in order: at least `limit` (when there are), ending on a whole event. */
  range(after: number, limit: number): Promise<StoredLabel[]>;
  query(query: LabelQuery): Promise<StoredLabel[]>;
  /** The active state of these subjects, keyed by `activeKey`. */
  activeState(uris: readonly string[]): Promise<Map<string, LabelStateRow>>;
  /** Every decision on a subject, active or not (`skysift explain`). */
  forSubject(uri: string): Promise<LabelStateRow[]>;
  /** Active labels whose value is not one of `values` (labels of removed manifests). */
  activeOutside(values: ReadonlySet<string>): Promise<LabelStateRow[]>;
}
