import { z } from 'zod';

/** The part of XGBoost's JSON model format (`save_model("….json")`, 1.x–2.x) a tree ensemble needs. */
const TreeSchema = z.object({
  left_children: z.array(z.number().int()),
  right_children: z.array(z.number().int()),
  split_indices: z.array(z.number().int()),
  split_conditions: z.array(z.number()),
  default_left: z.array(z.union([z.number(), z.boolean()])),
  split_type: z.array(z.number()).optional(),
});

/** `base_score` is written `"4E-1"` by some versions and `"[4E-1]"` by others. */
const BaseScoreSchema = z.string().transform((s, ctx) => {
  const value = Number(s.replace(/^\[|\]$/g, ''));
  if (!Number.isFinite(value)) ctx.addIssue({ code: 'custom', message: `base_score ${JSON.stringify(s)} is not a number` });
  return value;
});

export const XGBoostModelSchema = z.object({
  learner: z.object({
    learner_model_param: z.object({ base_score: BaseScoreSchema, num_feature: z.coerce.number().int().positive() }),
    objective: z.object({ name: z.enum(['binary:logistic', 'reg:squarederror', 'reg:logistic']) }),
    gradient_booster: z.object({ model: z.object({ trees: z.array(TreeSchema).min(1) }) }),
  }),
});

export type XGBoostObjective = z.infer<typeof XGBoostModelSchema>['learner']['objective']['name'];

/**
 * A tree ensemble flattened into typed arrays, scoring as XGBoost does: float32 comparisons
 * `x < split` go left, a missing value (null, undefined, NaN) follows `default_left`, leaf values
 * are summed onto the base margin, and the objective's link turns the margin into a prediction.
 */
export class XGBoostModel {
  private constructor(
    readonly objective: XGBoostObjective,
    readonly featureCount: number,
    private readonly baseMargin: number,
    private readonly roots: Int32Array,
    private readonly left: Int32Array,
    private readonly right: Int32Array,
    private readonly feature: Int32Array,
    private readonly threshold: Float32Array,
    private readonly defaultLeft: Uint8Array,
  ) {}

  /** Parses and validates a model; categorical splits are refused (numeric splits only). */
  static fromJson(json: unknown): XGBoostModel {
    const { learner } = XGBoostModelSchema.parse(json);
    const trees = learner.gradient_booster.model.trees;
    if (trees.some((t) => t.split_type?.some((s) => s !== 0))) throw new Error('categorical splits are not supported');
    const total = trees.reduce((n, t) => n + t.left_children.length, 0);
    const left = new Int32Array(total);
    const right = new Int32Array(total);
    const feature = new Int32Array(total);
    const threshold = new Float32Array(total);
    const defaultLeft = new Uint8Array(total);
    const roots = new Int32Array(trees.length);
    let offset = 0;
    trees.forEach((tree, t) => {
      roots[t] = offset;
      for (let i = 0; i < tree.left_children.length; i++) {
        const leaf = tree.left_children[i] === -1;
        left[offset + i] = leaf ? -1 : offset + tree.left_children[i]!;
        right[offset + i] = leaf ? -1 : offset + tree.right_children[i]!;
        feature[offset + i] = tree.split_indices[i]!;
        threshold[offset + i] = tree.split_conditions[i]!;
        defaultLeft[offset + i] = Number(tree.default_left[i]) ? 1 : 0;
      }
      offset += tree.left_children.length;
    });
    const { base_score: base, num_feature: featureCount } = learner.learner_model_param;
    const logistic = learner.objective.name !== 'reg:squarederror';
    const baseMargin = logistic ? Math.log(base / (1 - base)) : base;
    return new XGBoostModel(learner.objective.name, featureCount, baseMargin, roots, left, right, feature, threshold, defaultLeft);
  }

  /** The model's prediction for one row; the row must have exactly `featureCount` entries. */
  predict(row: readonly (number | null | undefined)[]): number {
    if (row.length !== this.featureCount) throw new Error(`the model expects ${this.featureCount} features, got ${row.length}`);
    // XGBoost accumulates the margin in float32, starting from the base margin.
    let margin = Math.fround(this.baseMargin);
    for (let t = 0; t < this.roots.length; t++) {
      let node = this.roots[t]!;
      while (this.left[node] !== -1) {
        const x = row[this.feature[node]!];
        if (x === null || x === undefined || Number.isNaN(x)) node = this.defaultLeft[node] ? this.left[node]! : this.right[node]!;
        else node = Math.fround(x) < this.threshold[node]! ? this.left[node]! : this.right[node]!;
      }
      margin = Math.fround(margin + this.threshold[node]!);
    }
    return this.objective === 'reg:squarederror' ? margin : 1 / (1 + Math.exp(-margin));
  }
}
