/**
 * A small gradient-boosted tree classifier (logistic loss), the same model family XGBoost trains:
 * each round fits one regression tree to the gradients of the log loss by Newton steps, on histogram
 * splits (each feature cut at up to `bins` quantiles), depth-limited, shrunk by the learning rate.
 * A missing value (NaN) sits in the lowest bin and every split sends it left, so the exported trees
 * say `default_left` everywhere. Thresholds and sums are float32, as XGBoost's scorer computes them,
 * so the exported model predicts what the trainer predicted.
 */
import { seededRandom } from '../random.ts';

export interface GbdtOptions {
  rounds: number;
  maxDepth: number;
  learningRate: number;
  /** L2 regularisation of leaf weights (XGBoost's `lambda`). */
  lambda: number;
  /** Least hessian sum a child may have (XGBoost's `min_child_weight`). */
  minChildWeight: number;
  /** Most cut points per feature. */
  bins: number;
  /** Fraction of rows each tree sees, drawn with the seeded generator. */
  subsample: number;
  seed: number;
}

export const DEFAULT_GBDT_OPTIONS: GbdtOptions = { rounds: 100, maxDepth: 4, learningRate: 0.1, lambda: 1, minChildWeight: 1, bins: 32, subsample: 0.8, seed: 42 };

/** One tree in XGBoost's array layout: a leaf has left = right = -1 and its value in `condition`. */
export interface Tree {
  left: number[];
  right: number[];
  parent: number[];
  feature: number[];
  condition: number[];
  gain: number[];
  hessian: number[];
  weight: number[];
}

export interface Booster {
  baseScore: number;
  featureCount: number;
  trees: Tree[];
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Cut points of one feature: up to `bins` distinct float32 quantiles above its minimum. */
function cutPoints(column: Float32Array, bins: number): Float32Array {
  const present = Float32Array.from(column.filter((v) => !Number.isNaN(v))).sort();
  const cuts = new Set<number>();
  for (let b = 1; b <= bins; b++) {
    const value = present[Math.floor((b * present.length) / (bins + 1))];
    if (value !== undefined && value > present[0]!) cuts.add(value);
  }
  return Float32Array.from([...cuts].sort((a, b) => a - b));
}

/** The bin of a value: how many cuts are ≤ it (0 for missing), so `bin < j` ⇔ `value < cuts[j-1]`. */
function binOf(value: number, cuts: Float32Array): number {
  if (Number.isNaN(value)) return 0;
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cuts[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The leaf value a tree gives a row (a missing value goes left). */
function leafValue(tree: Tree, row: ArrayLike<number>): number {
  let node = 0;
  while (tree.left[node] !== -1) {
    const value = Math.fround(row[tree.feature[node]!]!);
    node = Number.isNaN(value) || value < tree.condition[node]! ? tree.left[node]! : tree.right[node]!;
  }
  return tree.condition[node]!;
}

/** The margin the booster gives a row, accumulated in float32 as XGBoost does. */
export function boosterMargin(booster: Booster, row: ArrayLike<number>): number {
  let margin = Math.fround(Math.log(booster.baseScore / (1 - booster.baseScore)));
  for (const tree of booster.trees) margin = Math.fround(margin + leafValue(tree, row));
  return margin;
}

export const boosterProbability = (booster: Booster, row: ArrayLike<number>) => sigmoid(boosterMargin(booster, row));

export function trainGbdt(rows: readonly ArrayLike<number>[], labels: readonly number[], options: GbdtOptions = DEFAULT_GBDT_OPTIONS): Booster {
  const n = rows.length;
  const featureCount = rows[0]?.length ?? 0;
  if (!n || labels.length !== n) throw new Error('training needs rows with one label each');
  const positives = labels.reduce((s, y) => s + y, 0);
  const baseScore = Math.min(0.99, Math.max(0.01, positives / n));
  const columns = Array.from({ length: featureCount }, (_, f) => Float32Array.from(rows, (r) => r[f]!));
  const cuts = columns.map((column) => cutPoints(column, options.bins));
  const binned = columns.map((column, f) => Uint8Array.from(column, (v) => binOf(v, cuts[f]!)));
  const margins = new Float64Array(n).fill(Math.log(baseScore / (1 - baseScore)));
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const random = seededRandom(options.seed);
  const trees: Tree[] = [];
  for (let round = 0; round < options.rounds; round++) {
    for (let i = 0; i < n; i++) {
      const p = sigmoid(margins[i]!);
      grad[i] = p - labels[i]!;
      hess[i] = Math.max(p * (1 - p), 1e-16);
    }
    const sample = Array.from({ length: n }, (_, i) => i).filter(() => random() < options.subsample);
    const tree = growTree(sample, binned, cuts, grad, hess, options);
    trees.push(tree);
    for (let i = 0; i < n; i++) margins[i] = margins[i]! + leafValue(tree, rows[i]!);
  }
  return { baseScore, featureCount, trees };
}

function growTree(sample: number[], binned: Uint8Array[], cuts: Float32Array[], grad: Float64Array, hess: Float64Array, options: GbdtOptions): Tree {
  const tree: Tree = { left: [], right: [], parent: [], feature: [], condition: [], gain: [], hessian: [], weight: [] };
  const grow = (rows: number[], depth: number, parent: number): number => {
    const id = tree.left.length;
    let G = 0;
    let H = 0;
    for (const i of rows) [G, H] = [G + grad[i]!, H + hess[i]!];
    const weight = -G / (H + options.lambda);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.parent.push(parent);
    tree.feature.push(0);
    tree.condition.push(Math.fround(weight * options.learningRate));
    tree.gain.push(0);
    tree.hessian.push(H);
    tree.weight.push(weight);
    const split = depth < options.maxDepth ? bestSplit(rows, G, H, binned, cuts, grad, hess, options) : undefined;
    if (!split) return id;
    const column = binned[split.feature]!;
    const left = rows.filter((i) => column[i]! < split.bin);
    const right = rows.filter((i) => column[i]! >= split.bin);
    tree.feature[id] = split.feature;
    tree.condition[id] = cuts[split.feature]![split.bin - 1]!;
    tree.gain[id] = split.gain;
    tree.left[id] = grow(left, depth + 1, id);
    tree.right[id] = grow(right, depth + 1, id);
    return id;
  };
  grow(sample, 0, 2147483647);
  return tree;
}

/** The best "bin < j" split over all features by the Newton gain, or undefined when none gains. */
function bestSplit(rows: number[], G: number, H: number, binned: Uint8Array[], cuts: Float32Array[], grad: Float64Array, hess: Float64Array, { lambda, minChildWeight, bins }: GbdtOptions) {
  const parentScore = (G * G) / (H + lambda);
  const histG = new Float64Array(bins + 1);
  const histH = new Float64Array(bins + 1);
  let best: { feature: number; bin: number; gain: number } | undefined;
  binned.forEach((column, feature) => {
    histG.fill(0);
    histH.fill(0);
    for (const i of rows) {
      histG[column[i]!]! += grad[i]!;
      histH[column[i]!]! += hess[i]!;
    }
    let GL = 0;
    let HL = 0;
    for (let bin = 1; bin <= cuts[feature]!.length; bin++) {
      GL += histG[bin - 1]!;
      HL += histH[bin - 1]!;
      const HR = H - HL;
      if (HL < minChildWeight || HR < minChildWeight) continue;
      const GR = G - GL;
      const gain = (GL * GL) / (HL + lambda) + (GR * GR) / (HR + lambda) - parentScore;
      if (gain > 1e-9 && (!best || gain > best.gain)) best = { feature, bin, gain };
    }
  });
  return best;
}
