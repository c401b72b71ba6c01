import { z } from 'zod';

/**
 * A scorer for gradient-boosted tree models saved in XGBoost's JSON format (`Booster.save_model("m.json")`),
 * in TypeScript so nothing runs Python at evaluation time. It reads only the subset of the format that
 * prediction needs (schema: `test/fixtures/xgboost/model.schema.json`): `gbtree` boosters with numeric
 * splits, one output, objectives `binary:logistic` and `reg:squarederror`.
 *
 * To reproduce XGBoost's own predictions it follows XGBoost's arithmetic: inputs are cast to float32
 * before comparison (thresholds are float32), a node goes left when `value < threshold`, a missing value
 * (NaN/null) goes where `default_left` says, and the margin is accumulated in float32.
 */

/** A count or flag that XGBoost writes as a decimal string ("22"). */
const IntegerString = z.string().regex(/^\d+$/, 'expected a non-negative integer written as a string');

const TreeSchema = z.object({
  left_children: z.array(z.number().int()),
  right_children: z.array(z.number().int()),
  split_indices: z.array(z.number().int().nonnegative()),
  /** The threshold of a split node; the leaf value of a leaf. */
  split_conditions: z.array(z.number()),
  default_left: z.array(z.union([z.literal(0), z.literal(1), z.boolean()])),
  /** 0 = numeric, 1 = categorical; only numeric splits are supported. */
  split_type: z.array(z.number().int()).optional(),
});

export const XGBoostModelSchema = z.object({
  learner: z.object({
    feature_names: z.array(z.string()).optional(),
    learner_model_param: z.object({
      /** "4E-1" (XGBoost < 3) or "[4E-1]" (XGBoost ≥ 3 writes a vector). */
      base_score: z.string(),
      num_feature: IntegerString,
      num_class: IntegerString.optional(),
      num_target: IntegerString.optional(),
    }),
    objective: z.object({ name: z.enum(['binary:logistic', 'reg:squarederror']) }),
    gradient_booster: z.object({
      name: z.literal('gbtree'),
      model: z.object({ trees: z.array(TreeSchema).min(1) }),
    }),
  }),
});

export type XGBoostModelJson = z.infer<typeof XGBoostModelSchema>;
export type XGBoostObjective = XGBoostModelJson['learner']['objective']['name'];
type TreeJson = z.infer<typeof TreeSchema>;

/** A feature vector; `null` and `NaN` are missing values. */
export type FeatureRow = ArrayLike<number | null>;

export class XGBoostModelError extends Error {
  override name = 'XGBoostModelError';
}

/** Parses `base_score` in either spelling into one number. */
export function parseBaseScore(text: string): number {
  const match = /^\s*\[?\s*([^\[\],\s]+)\s*\]?\s*$/.exec(text);
  const value = match?.[1] === undefined ? Number.NaN : Number(match[1]);
  if (!Number.isFinite(value)) {
    throw new XGBoostModelError(`base_score ${JSON.stringify(text)} is not one number (expected e.g. "4E-1" or "[4E-1]")`);
  }
  return value;
}

/** All trees flattened into parallel typed arrays, so scoring walks numbers instead of objects. */
interface FlatForest {
  /** Index of each tree's root node. */
  roots: Int32Array;
  /** Global index of the left child, or -1 for a leaf. */
  left: Int32Array;
  right: Int32Array;
  feature: Int32Array;
  /** Threshold of a split node, leaf value of a leaf (float32, as XGBoost stores them). */
  value: Float32Array;
  defaultLeft: Uint8Array;
}

export class XGBoostModel {
  readonly objective: XGBoostObjective;
  readonly featureCount: number;
  readonly featureNames: readonly string[] | undefined;
  readonly treeCount: number;
  /** The starting margin: base_score for regression, logit(base_score) for binary:logistic. */
  private readonly baseMargin: number;
  private readonly forest: FlatForest;
  /** Reused per call: the row cast to float32, NaN for missing. Scoring is synchronous, so one buffer suffices. */
  private readonly row: Float32Array;

  private constructor(json: XGBoostModelJson) {
    const { learner } = json;
    const params = learner.learner_model_param;
    if ((params.num_class ?? '0') !== '0' || (params.num_target ?? '1') !== '1') {
      throw new XGBoostModelError(`only single-output models are supported (num_class=${params.num_class}, num_target=${params.num_target})`);
    }
    this.objective = learner.objective.name;
    this.featureCount = Number(params.num_feature);
    this.featureNames = learner.feature_names;
    if (this.featureNames !== undefined && this.featureNames.length !== this.featureCount) {
      throw new XGBoostModelError(`feature_names has ${this.featureNames.length} names but num_feature is ${this.featureCount}`);
    }
    const baseScore = parseBaseScore(params.base_score);
    if (this.objective === 'binary:logistic') {
      if (!(baseScore > 0 && baseScore < 1)) {
        throw new XGBoostModelError(`binary:logistic needs base_score in (0, 1), got ${baseScore}`);
      }
      this.baseMargin = Math.fround(Math.log(baseScore / (1 - baseScore)));
    } else {
      this.baseMargin = Math.fround(baseScore);
    }
    const trees = learner.gradient_booster.model.trees;
    this.treeCount = trees.length;
    this.forest = flatten(trees, this.featureCount);
    this.row = new Float32Array(this.featureCount);
  }

  /** Validates parsed JSON (e.g. `JSON.parse` of a saved model) and precompiles its trees. */
  static fromJson(json: unknown): XGBoostModel {
    const parsed = XGBoostModelSchema.safeParse(json);
    if (!parsed.success) {
      throw new XGBoostModelError(`not a supported XGBoost JSON model:\n${z.prettifyError(parsed.error)}`);
    }
    return new XGBoostModel(parsed.data);
  }

  /** Throws a clear error unless `count` features (what the caller's feature modules produce) fit this model. */
  checkFeatureCount(count: number, producedBy = 'the input'): void {
    if (count !== this.featureCount) {
      throw new XGBoostModelError(`the model expects ${this.featureCount} features but ${producedBy} has ${count}`);
    }
  }

  /** The prediction XGBoost would make: a probability for binary:logistic, the value for reg:squarederror. */
  score(features: FeatureRow): number {
    const margin = this.margin(features);
    return this.objective === 'binary:logistic' ? Math.fround(1 / (1 + Math.exp(-margin))) : margin;
  }

  /** The untransformed sum: base margin plus every tree's leaf. */
  margin(features: FeatureRow): number {
    this.checkFeatureCount(features.length, 'the feature row');
    const row = this.row;
    for (let i = 0; i < row.length; i++) {
      row[i] = features[i] ?? Number.NaN;
    }
    const { roots, left, right, feature, value, defaultLeft } = this.forest;
    let sum = this.baseMargin;
    for (let t = 0; t < roots.length; t++) {
      let node = roots[t]!;
      let next = left[node]!;
      while (next !== -1) {
        const x = row[feature[node]!]!;
        if (x !== x) {
          node = defaultLeft[node] === 1 ? next : right[node]!;
        } else {
          node = x < value[node]! ? next : right[node]!;
        }
        next = left[node]!;
      }
      sum = Math.fround(sum + value[node]!);
    }
    return sum;
  }
}

function flatten(trees: readonly TreeJson[], featureCount: number): FlatForest {
  const total = trees.reduce((n, tree) => n + tree.left_children.length, 0);
  const forest: FlatForest = {
    roots: new Int32Array(trees.length),
    left: new Int32Array(total),
    right: new Int32Array(total),
    feature: new Int32Array(total),
    value: new Float32Array(total),
    defaultLeft: new Uint8Array(total),
  };
  let offset = 0;
  trees.forEach((tree, t) => {
    const size = checkTree(tree, t, featureCount);
    forest.roots[t] = offset;
    for (let i = 0; i < size; i++) {
      const isLeaf = tree.left_children[i] === -1;
      forest.left[offset + i] = isLeaf ? -1 : offset + tree.left_children[i]!;
      forest.right[offset + i] = isLeaf ? -1 : offset + tree.right_children[i]!;
      forest.feature[offset + i] = tree.split_indices[i]!;
      forest.value[offset + i] = tree.split_conditions[i]!;
      forest.defaultLeft[offset + i] = Number(tree.default_left[i]);
    }
    offset += size;
  });
  return forest;
}

/** Checks one tree's arrays agree and its links form a tree inside it; returns its node count. */
function checkTree(tree: TreeJson, t: number, featureCount: number): number {
  const size = tree.left_children.length;
  const fail = (why: string): never => {
    throw new XGBoostModelError(`tree ${t}: ${why}`);
  };
  if (size === 0) fail('has no nodes');
  for (const key of ['right_children', 'split_indices', 'split_conditions', 'default_left'] as const) {
    if (tree[key].length !== size) fail(`${key} has ${tree[key].length} entries, left_children ${size}`);
  }
  // Walk from the root so a malformed model (a cycle, a shared child) fails here instead of looping at scoring.
  const seen = new Uint8Array(size);
  const stack = [0];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (seen[i] === 1) fail(`node ${i} is reached twice; the children links do not form a tree`);
    seen[i] = 1;
    const l = tree.left_children[i]!;
    const r = tree.right_children[i]!;
    if (l === -1) continue;
    if (l < 0 || r < 0 || l >= size || r >= size) fail(`node ${i} links to children ${l}/${r} outside the tree`);
    if ((tree.split_type?.[i] ?? 0) !== 0) fail(`node ${i} is a categorical split; only numeric splits are supported`);
    if (tree.split_indices[i]! >= featureCount) {
      fail(`node ${i} splits on feature ${tree.split_indices[i]} but the model has ${featureCount} features`);
    }
    stack.push(l, r);
  }
  return size;
}
