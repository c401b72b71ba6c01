import type { LeafIndex } from './leaf-index.ts';

const NONE: readonly number[] = [];

/**
 * The `anyOf` leaves of every manifest over one input (e.g. the post's domains): each leaf holds when
 * one of the post's values is in its set. The post's few values are looked up once in one map from
 * value to leaves, instead of each leaf searching them. Results hold for one post, named by an epoch.
 */
export class ValueIndex implements LeafIndex {
  private readonly leavesOf = new Map<string, number[]>();
  private readonly matched: Int32Array;
  private readonly hits: Int32Array;
  private hitCount = 0;
  private looked = -1;

  constructor(sets: readonly ReadonlySet<string>[]) {
    sets.forEach((set, leaf) => {
      for (const value of set) {
        const leaves = this.leavesOf.get(value);
        if (leaves) leaves.push(leaf);
        else this.leavesOf.set(value, [leaf]);
      }
    });
    this.matched = new Int32Array(sets.length).fill(-1);
    this.hits = new Int32Array(sets.length);
  }

  matches(i: number, values: readonly unknown[], epoch: number): boolean {
    if (this.looked !== epoch) this.look(values, epoch);
    return this.matched[i] === epoch;
  }

  indexed(): boolean {
    return true;
  }

  forHits(values: readonly unknown[], epoch: number, hit: (leaf: number) => void): void {
    if (this.looked !== epoch) this.look(values, epoch);
    for (let h = 0; h < this.hitCount; h++) hit(this.hits[h]!);
  }

  restart(): void {
    this.looked = -1;
    this.matched.fill(-1);
  }

  private look(values: readonly unknown[], epoch: number): void {
    this.looked = epoch;
    this.hitCount = 0;
    for (const value of values) {
      for (const leaf of typeof value === 'string' ? (this.leavesOf.get(value) ?? NONE) : NONE) {
        if (this.matched[leaf] === epoch) continue;
        this.matched[leaf] = epoch;
        this.hits[this.hitCount++] = leaf;
      }
    }
  }
}
