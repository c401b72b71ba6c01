import type { FetchedSet } from './appview.ts';

/** A graph record's change: `<repo did>/<rkey>` now makes `member` a member, or (null) no longer exists. */
export type RecordChange = readonly [record: string, member: string | null];

/** A membership set being kept current: the records behind its members, counted per member. */
export interface LiveSet {
  members: Set<string>;
  /** `<repo did>/<rkey>` of each follow/list-item record → the member it makes. */
  records: Map<string, string>;
  /** How many records make each member, so that a delete knows in O(1) whether it was the last one. */
  counts: Map<string, number>;
  source?: string;
}

export function liveSet(fetched: FetchedSet): LiveSet {
  const counts = new Map<string, number>();
  for (const [, member] of fetched.records) counts.set(member, (counts.get(member) ?? 0) + 1);
  return { members: new Set(fetched.members), records: new Map(fetched.records), counts, ...(fetched.source && { source: fetched.source }) };
}

/**
 * Applies one record change; false when it changes nothing (applying a change twice is harmless).
 * The same account can be in a list through two items: it leaves with the last one.
 */
export function applyChange(set: LiveSet, [record, member]: RecordChange): boolean {
  const previous = set.records.get(record);
  if (previous === (member ?? undefined)) return false;
  if (previous !== undefined) {
    set.records.delete(record);
    const left = set.counts.get(previous)! - 1;
    if (left > 0) set.counts.set(previous, left);
    else {
      set.counts.delete(previous);
      set.members.delete(previous);
    }
  }
  if (member !== null) {
    set.records.set(record, member);
    set.counts.set(member, (set.counts.get(member) ?? 0) + 1);
    set.members.add(member);
  }
  return true;
}

export function fetchedSet(set: LiveSet): FetchedSet {
  return { members: [...set.members], records: [...set.records], ...(set.source && { source: set.source }) };
}
