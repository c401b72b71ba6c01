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

/** What the manifests decided on a (subject, label value): kept beside a human decision that overrides it. */
export interface ManifestDecision {
  active: boolean;
  cid: string | null;
  manifestVersion: string | null;
  explanation: string | null;
}

/**
 * A human decision on (subject, label value): the label applied (`active`) or negated by hand. While
 * it holds, manifest verdicts on the same subject and value change nothing but `manifest`.
 */
export interface LabelOverride {
  uri: string;
  val: string;
  active: boolean;
  createdAt: string;
  createdBy: string;
  reason: string | null;
  /** The report whose resolution made this decision, if one did. */
  reportId: number | null;
  manifest: ManifestDecision;
}

export type SubjectValue = Pick<LabelStateRow, 'uri' | 'val'>;

/**
 * How far a batch moves a stream's cursor (cluster mode: a NATS partition's stream sequence). Committed
 * with the batch's labels and state, so a batch delivered again (its acknowledgement lost in a crash) is
 * recognised as done. `from` is the position the batch was read after: when the stored position is no
 * longer `from`, another process applied events meanwhile and the commit is refused (`CursorMoved`).
 */
export interface CursorAdvance {
  name: string;
  from: number;
  to: number;
}

/** A commit refused because its cursor moved under it: nothing of the batch was written; read the cursor again. */
export class CursorMoved extends Error {
  constructor(readonly cursor: CursorAdvance) {
    super(`cursor ${cursor.name} is no longer at ${cursor.from}: another process applied these events; nothing of this batch was committed`);
    this.name = 'CursorMoved';
  }
}

/** The labels, label state and overrides one decision batch changes: committed together or not at all. */
export interface LabelCommit {
  labels: readonly SignedLabel[];
  state: readonly LabelStateRow[];
  /** Overrides written (inserted or replaced). */
  overrides?: readonly LabelOverride[];
  /** Overrides removed: the subject and value return to the manifests. */
  clearedOverrides?: readonly SubjectValue[];
  /** The stream position the batch brings its cursor to, checked and moved in the same transaction. */
  cursor?: CursorAdvance;
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

/** A search of label state (the console's label browser): every given criterion holds; newest decisions first. */
export interface LabelSearch {
  val?: string;
  /** Subjects starting with this (an at-uri, a DID, or a prefix of either). */
  subject?: string;
  /** Decided at or after / before these times (ISO 8601, compared as text like every `cts`). */
  since?: string;
  until?: string;
  active?: boolean;
  limit: number;
}

/** Label state of one value: subjects labelled now, and of those, labelled at or after each of `since` times. */
export interface ValueCount {
  val: string;
  active: number;
  activeSince: number[];
}

export const activeKey = (uri: string, val: string) => `${uri}\u0000${val}`;

/** Labels of one commit are served in subscribeLabels events of at most this many labels. */
export const MAX_LABELS_PER_EVENT = 100;

/** The seq of the `i`th of `count` labels committed together from id `first`: the id of the last label of its event. */
export const eventSeq = (first: number, count: number, i: number) => first + Math.min(count, (Math.floor(i / MAX_LABELS_PER_EVENT) + 1) * MAX_LABELS_PER_EVENT) - 1;

/** Labels matching the prefixes of a query above which a store walks the log in order rather than the uri index. */
export const BROAD_MATCHES = 10_000;

/**
 * The one label store: label state, the signed labels and their sequence, in one place. SQLite on one
 * machine (`SqliteLabelStore`), PostgreSQL for processes that share it (`PostgresLabelStore`). What every
 * implementation guarantees:
 * - `commit` writes state and labels in one transaction; ids are assigned in commit order and never
 *   reused, so a reader never sees id n+1 before id n (PostgreSQL: assign them under a lock taken in
 *   the transaction, not from a sequence whose values commit out of order);
 * - the labels of a commit are grouped into events of at most MAX_LABELS_PER_EVENT, each event's seq
 *   being the id of its last label;
 * - `onCommit` listeners run after the commit is durable (PostgreSQL: LISTEN/NOTIFY), never before;
 * - a commit's cursor moves only from where the committer read it, in the same transaction (`CursorMoved`).
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
  /** The overrides on these subjects, keyed by `activeKey`. */
  overrides(uris: readonly string[]): Promise<Map<string, LabelOverride>>;
  /** Active labels whose value is not one of `values` (labels of removed manifests). */
  activeOutside(values: ReadonlySet<string>): Promise<LabelStateRow[]>;
  /** Label state matching the search, newest `cts` first. */
  search(search: LabelSearch): Promise<LabelStateRow[]>;
  /** Per label value: active subjects, and those of them labelled at or after each time of `since`. */
  valueCounts(since: readonly string[]): Promise<ValueCount[]>;
  /** A stream cursor's committed position (0 when none was committed). */
  cursor(name: string): Promise<number>;
}
