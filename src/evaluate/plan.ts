import type { ConsolidatedPost } from '../consolidate/post.ts';
import { isPending, isUndecided, type Decision, type EvaluationContext, type Leaf, type PostInput } from '../core/operator.ts';
import type { NodeValue } from '../operators/logic.ts';
import type { CompiledNode, LeafNode } from './compile.ts';
import type { LeafIndex } from './leaf-index.ts';
import { PatternScan } from './pattern-scan.ts';
import { ValueIndex } from './value-index.ts';

/** What evaluation needs of a compiled manifest (`src/manifests/` compiles them from files). */
export interface EvaluableManifest {
  file: string;
  label: { value: string };
  version: string;
  filter: CompiledNode;
}

type Run = () => NodeValue;

/** A leaf decided in a leaf index: the index, its number there, its negation, and the input slot of the index's values. */
interface IndexRef {
  index: LeafIndex;
  i: number;
  negate: boolean;
  slot: number;
}

/** The manifests an index's hits wake: per leaf number, the manifests that leaf triggers. */
interface Triggers {
  index: LeafIndex;
  slot: number;
  manifests: number[][];
}

const valueOf = (decision: Decision): NodeValue => (typeof decision === 'boolean' ? decision : isPending(decision) ? decision.pending : decision);

const NO_MANIFESTS: readonly number[] = [];

/** Epochs name posts in the stamps below; before they overflow an Int32Array the stamps start over. */
const EPOCH_LIMIT = 2 ** 30;

/**
 * The filters of a set of manifests merged into one graph that decides a post without explaining it,
 * sharing between manifests all the work that can be shared:
 * - what leaves read of the post (a path's values, its entities of a kind) is derived once per post;
 * - the text patterns of every leaf over the same path run as one multi-pattern pass (`PatternScan`),
 *   the value sets of every leaf over the same list (domains, hashtags) as one lookup (`ValueIndex`);
 * - manifests that cannot hold unless one of those leaves does are decided only on the posts where
 *   one does (`indexTriggers`);
 * - identical sub-filters (pure leaves with the same arguments, then logic nodes over the same
 *   children) are one node, evaluated once per post.
 * A node's meaning is its compiled node's (`CompiledNode.explain` is the reference, and gives the
 * explanations); nothing is allocated per (post, manifest) unless a leaf must (a pending feature).
 * One plan serves one list of manifests: a new list (hot reload) gets a new plan.
 */
export class EvaluationPlan {
  private readonly roots: Run[];
  private post!: ConsolidatedPost;
  private context!: EvaluationContext;
  private epoch = 0;
  private readonly inputs: PostInput<unknown>[] = [];
  private readonly inputSlots = new Map<string, number>();
  private readonly inputValues: unknown[];
  private readonly inputStamps: Int32Array;
  private readonly memoValues: NodeValue[] = [];
  private readonly memoStamps: Int32Array;
  private readonly indexes: LeafIndex[] = [];
  /** Manifests decided on every post; the others only when one of their triggers was hit. */
  private readonly always: number[] = [];
  private readonly triggers: Triggers[] = [];
  private readonly woken: Int32Array;

  constructor(readonly manifests: readonly EvaluableManifest[]) {
    const shape = new Shape(manifests.map((m) => m.filter));
    const indexed = this.leafIndexes(shape.nodes);
    const memoSlots = shape.uses.map((uses) => (uses > 1 ? this.memoValues.push(false) - 1 : -1));
    this.memoStamps = new Int32Array(this.memoValues.length).fill(-1);
    const runs: Run[] = [];
    const build = (id: number): Run =>
      (runs[id] ??= this.memoised(
        memoSlots[id]!,
        this.node(shape.nodes[id]!, (child) => build(shape.idOf(child)), indexed),
      ));
    this.roots = shape.roots.map(build);
    this.woken = new Int32Array(manifests.length).fill(-1);
    this.indexTriggers(shape, indexed);
    this.inputValues = new Array(this.inputs.length);
    this.inputStamps = new Int32Array(this.inputs.length).fill(-1);
  }

  /**
   * Most manifests cannot match a post on which some indexed leaves do not hold (no literal of a text
   * pattern occurs, none of a set's values): `and` over such a leaf, `or` of such nodes. Those manifests
   * are decided only when a leaf index reports one of those leaves (they are false otherwise, whatever
   * their other leaves: false decides `and`, and an `or` of falses is false); the others on every post.
   */
  private indexTriggers(shape: Shape, indexed: ReadonlyMap<LeafNode, IndexRef>): void {
    const triggersOf = (node: CompiledNode): IndexRef[] | undefined => {
      if (node.kind === 'leaf') {
        const ref = indexed.get(node);
        return ref && !ref.negate && ref.index.indexed(ref.i) ? [ref] : undefined;
      }
      const options = node.children.map((child) => triggersOf(shape.nodes[shape.idOf(child)]!));
      if (node.logic.name === 'or') return options.every((o) => o) ? options.flatMap((o) => o!) : undefined;
      if (node.logic.name === 'and') return options.reduce<IndexRef[] | undefined>((best, o) => (o && (!best || o.length < best.length) ? o : best), undefined);
      return undefined;
    };
    const byIndex = new Map<LeafIndex, Triggers>();
    shape.roots.forEach((root, m) => {
      const refs = triggersOf(shape.nodes[root]!);
      if (!refs) return this.always.push(m);
      for (const { index, i, slot } of refs) {
        let triggers = byIndex.get(index);
        if (!triggers) {
          byIndex.set(index, (triggers = { index, slot, manifests: [] }));
          this.triggers.push(triggers);
        }
        (triggers.manifests[i] ??= []).push(m);
      }
    });
  }

  /** One leaf index per input and kind: a PatternScan over the text patterns of a path, a ValueIndex over the value sets of a list. */
  private leafIndexes(nodes: readonly CompiledNode[]): Map<LeafNode, IndexRef> {
    const groups = new Map<string, LeafNode[]>();
    for (const node of nodes) {
      if (node.kind !== 'leaf' || !node.leaf.input || !(node.leaf.pattern || node.leaf.anyOf)) continue;
      const key = `${node.leaf.pattern ? 'pattern' : 'anyOf'} ${node.leaf.input.key}`;
      const leaves = groups.get(key) ?? [];
      leaves.push(node);
      groups.set(key, leaves);
    }
    const indexed = new Map<LeafNode, IndexRef>();
    for (const leaves of groups.values()) {
      const patterns = leaves[0]!.leaf.pattern !== undefined;
      const index = patterns ? new PatternScan(leaves.map((l) => l.leaf.pattern!.text)) : new ValueIndex(leaves.map((l) => l.leaf.anyOf!.values));
      const slot = this.inputSlot(leaves[0]!.leaf.input!);
      this.indexes.push(index);
      leaves.forEach((l, i) => indexed.set(l, { index, i, slot, negate: (l.leaf.pattern ?? l.leaf.anyOf)!.negate }));
    }
    return indexed;
  }

  /** Starts a post: what was derived for the previous one no longer counts. */
  begin(post: ConsolidatedPost, context: EvaluationContext): void {
    this.post = post;
    this.context = context;
    if (++this.epoch === EPOCH_LIMIT) this.restartEpochs();
  }

  /** The value of manifest `m` on the post begun. */
  decide(m: number): NodeValue {
    return this.roots[m]!();
  }

  /** Decides every manifest on the post begun: `decided(m, value)` for each that may hold; the others are false. */
  decideAll(decided: (m: number, value: NodeValue) => void): void {
    this.decided = decided;
    for (const m of this.always) decided(m, this.roots[m]!());
    for (const { index, slot, manifests } of this.triggers) {
      this.waking = manifests;
      index.forHits(this.input(slot) as readonly unknown[], this.epoch, this.wake);
    }
  }

  /** What `decideAll` is doing, so that `wake` (made once, called per hit) allocates nothing per post. */
  private decided: (m: number, value: NodeValue) => void = () => undefined;
  private waking: readonly (readonly number[] | undefined)[] = [];
  private readonly wake = (i: number) => {
    for (const m of this.waking[i] ?? NO_MANIFESTS) {
      if (this.woken[m] === this.epoch) continue;
      this.woken[m] = this.epoch;
      this.decided(m, this.roots[m]!());
    }
  };

  private restartEpochs(): void {
    this.epoch = 0;
    this.inputStamps.fill(-1);
    this.memoStamps.fill(-1);
    this.woken.fill(-1);
    for (const index of this.indexes) index.restart();
  }

  private input(slot: number): unknown {
    if (this.inputStamps[slot] !== this.epoch) {
      this.inputValues[slot] = this.inputs[slot]!.read(this.post);
      this.inputStamps[slot] = this.epoch;
    }
    return this.inputValues[slot];
  }

  private inputSlot(input: PostInput<unknown>): number {
    let slot = this.inputSlots.get(input.key);
    if (slot === undefined) {
      this.inputSlots.set(input.key, (slot = this.inputs.length));
      this.inputs.push(input);
    }
    return slot;
  }

  /** A node used by more than one parent (or manifest) keeps its value for the post, in its memo slot. */
  private memoised(slot: number, run: Run): Run {
    if (slot < 0) return run;
    return () => {
      if (this.memoStamps[slot] === this.epoch) return this.memoValues[slot]!;
      const value = run();
      this.memoValues[slot] = value;
      this.memoStamps[slot] = this.epoch;
      return value;
    };
  }

  private node(node: CompiledNode, build: (child: CompiledNode) => Run, indexed: ReadonlyMap<LeafNode, IndexRef>): Run {
    if (node.kind === 'leaf') return this.leaf(node.leaf, indexed.get(node));
    const children = node.children.map(build);
    const { logic } = node;
    if (logic.shortCircuitOn === null) {
      const [child] = children;
      return () => {
        const value = child!();
        return typeof value === 'boolean' ? !value : value;
      };
    }
    const decides = logic.shortCircuitOn;
    const otherwise = !decides;
    return () => {
      // Only pending and undecided children are kept: the values `combine` looks at besides the booleans.
      let open: NodeValue[] | undefined;
      for (const child of children) {
        const value = child();
        if (value === decides) return value;
        if (value !== otherwise) (open ??= []).push(value);
      }
      return open ? logic.combine(open) : otherwise;
    };
  }

  private leaf(leaf: Leaf, ref: IndexRef | undefined): Run {
    if (ref) {
      const { index, i, slot, negate } = ref;
      return () => index.matches(i, this.input(slot) as readonly unknown[], this.epoch) !== negate;
    }
    const slot = leaf.input ? this.inputSlot(leaf.input) : -1;
    const decide = leaf.decide;
    if (decide) return () => valueOf(decide(slot < 0 ? undefined : this.input(slot), this.post, this.context));
    return () => {
      const result = leaf(this.post, this.context);
      return isPending(result) ? result.pending : isUndecided(result) ? result : result.matched;
    };
  }
}

/**
 * The filters as one graph of distinct sub-filters: a pure leaf is its operator and arguments
 * (`LeafNode.key`), any other leaf itself, a logic node its operator over its children. `nodes` holds
 * one representative of each, `uses` how many parents (or manifests) use it.
 */
class Shape {
  readonly nodes: CompiledNode[] = [];
  readonly uses: number[];
  readonly roots: number[];
  private readonly byKey = new Map<string, number>();
  private readonly byNode = new Map<CompiledNode, number>();

  constructor(filters: readonly CompiledNode[]) {
    this.roots = filters.map((f) => this.id(f));
    this.uses = this.nodes.map(() => 0);
    for (const root of this.roots) this.uses[root]!++;
    for (const node of this.nodes) if (node.kind === 'logic') for (const child of node.children) this.uses[this.idOf(child)]!++;
  }

  idOf(node: CompiledNode): number {
    return this.byNode.get(node)!;
  }

  private id(node: CompiledNode): number {
    let id = this.byNode.get(node);
    if (id !== undefined) return id;
    const key = node.kind === 'leaf' ? (node.key === undefined ? undefined : `leaf ${node.key}`) : `${node.logic.name}(${node.children.map((c) => this.id(c)).join(',')})`;
    id = key === undefined ? undefined : this.byKey.get(key);
    if (id === undefined) {
      id = this.nodes.push(node) - 1;
      if (key !== undefined) this.byKey.set(key, id);
    }
    this.byNode.set(node, id);
    return id;
  }
}

const plans = new WeakMap<readonly EvaluableManifest[], EvaluationPlan>();

/** The plan of a list of manifests, built once per list (a reloaded set of manifests is a new list). */
export function evaluationPlan(manifests: readonly EvaluableManifest[]): EvaluationPlan {
  let plan = plans.get(manifests);
  if (!plan) plans.set(manifests, (plan = new EvaluationPlan(manifests)));
  return plan;
}
