/**
 * Leaves of every manifest that read the same input, decided together once per post (`PatternScan`
 * for text patterns, `ValueIndex` for value sets). Results hold for one post, named by an epoch: the
 * first question of an epoch does the work for all of them.
 */
export interface LeafIndex {
  /** Whether leaf `i` holds on `values`, the input of post `epoch` (before the leaf's negation). */
  matches(i: number, values: readonly unknown[], epoch: number): boolean;
  /** Whether leaf `i` can hold only when `forHits` reports it (then a post it is not reported on is known not to hold). */
  indexed(i: number): boolean;
  /** Calls `hit(i)` for each leaf the post's values may make hold (all those that do, for indexed leaves). */
  forHits(values: readonly unknown[], epoch: number, hit: (i: number) => void): void;
  /** Forgets every epoch (the plan's epochs start over). */
  restart(): void;
}
