import type { Booster } from './gbdt.ts';

/**
 * Writes a booster in XGBoost's JSON model format (as `Booster.save_model("m.json")` writes it,
 * version 2.1): readable by our scorer and by XGBoost itself.
 */
export function toXGBoostJson(booster: Booster, featureNames: readonly string[]) {
  const { featureCount, trees } = booster;
  if (featureNames.length !== featureCount) throw new Error(`${featureNames.length} feature names for ${featureCount} features`);
  return {
    learner: {
      attributes: {},
      feature_names: [...featureNames],
      feature_types: featureNames.map(() => 'float'),
      gradient_booster: {
        model: {
          gbtree_model_param: { num_parallel_tree: '1', num_trees: String(trees.length) },
          iteration_indptr: Array.from({ length: trees.length + 1 }, (_, i) => i),
          tree_info: trees.map(() => 0),
          trees: trees.map((tree, id) => ({
            base_weights: tree.weight,
            categories: [],
            categories_nodes: [],
            categories_segments: [],
            categories_sizes: [],
            default_left: tree.left.map(() => 1),
            id,
            left_children: tree.left,
            loss_changes: tree.gain,
            parents: tree.parent,
            right_children: tree.right,
            split_conditions: tree.condition,
            split_indices: tree.feature,
            split_type: tree.left.map(() => 0),
            sum_hessian: tree.hessian,
            tree_param: { num_deleted: '0', num_feature: String(featureCount), num_nodes: String(tree.left.length), size_leaf_vector: '1' },
          })),
        },
        name: 'gbtree',
      },
      learner_model_param: { base_score: booster.baseScore.toExponential(8).toUpperCase(), boost_from_average: '1', num_class: '0', num_feature: String(featureCount), num_target: '1' },
      objective: { name: 'binary:logistic', reg_loss_param: { scale_pos_weight: '1' } },
    },
    version: [2, 1, 0],
  };
}
