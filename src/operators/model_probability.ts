import { z } from 'zod';
import type { FeatureRequest } from '../core/features.ts';
import type { OperatorDefinition } from '../core/operator.ts';
import { embeddingRequest } from '../models/embedding-provider.ts';
import { buildFeatures, featureNames, vectorizerModels } from '../models/features.ts';
import { TREE_MODELS } from '../models/tree-models.ts';
import { ComparatorSchema, compileComparison } from './compare.ts';
import { embeddersOf } from './text_similarity.ts';

const ModelProbabilityArgs = z.tuple([
  z
    .strictObject({ model_name: z.string().min(1).meta({ title: 'model_name', description: "The model's directory under MODELS_DIR and its models[] entry." }) })
    .meta({ title: 'model', description: 'Which tree model scores the post: {"model_name": name}.' }),
  ComparatorSchema,
  z.number().meta({ title: 'threshold', description: 'A probability between 0 and 1.' }),
]);

/**
 * `model_probability [{model_name}, cmp, threshold]`: the probability a tree model (XGBoost JSON under
 * `MODELS_DIR/<model_name>/model.json`) gives the post, its features built as the manifest's
 * `models[]` entry of that name says. The model's feature count is checked against the modules at
 * compile time; embeddings are features computed in batches, the trees are walked in the leaf.
 */
export const model_probability: OperatorDefinition<z.infer<typeof ModelProbabilityArgs>> = {
  name: 'model_probability',
  description:
    "The probability that a gradient-boosted tree model (XGBoost JSON in MODELS_DIR/<model_name>/model.json, e.g. trained with `skysift train`) gives the post, compared with `threshold`. The model's input is built from the manifest's models[] entry of that name: time_features = [hour of createdAt (UTC), days since epoch mod 7], vectorizer = the text's sentence embedding, post_metadata = [text length, count of \"!\"], in the listed order.",
  examples: [{ args: [{ model_name: 'news_without_science' }, '>=', 0.9], means: 'the news_without_science model gives at least 0.9' }],
  graze: "Graze's feature modules, scored locally; the model's feature count is checked when the manifest loads.",
  args: ModelProbabilityArgs,
  cost: 1100,
  async compile([{ model_name }, comparator, threshold], env) {
    const entry = env.models.get(model_name);
    if (!entry) throw new Error(`no models[] entry named "${model_name}": add {"model_name": "${model_name}", "feature_modules": [...]} to the manifest's models`);
    const tree = env.services.require(TREE_MODELS, 'no tree-model service is available here').load(model_name);
    const modules = entry.feature_modules;
    const models = vectorizerModels(modules);
    const embedders = new Map(await Promise.all(models.map(async (name) => [name, await embeddersOf(env.services).resolve(name)] as const)));
    const dimensions = (name: string) => embedders.get(name)!.dimensions;
    tree.checkFeatureCount(featureNames(modules, dimensions).length, `the feature modules of models[] entry "${model_name}" (${modules.map((m) => m.type).join(' + ')})`);
    const compare = compileComparison(comparator, threshold);
    return (post, context) => {
      const { text, createdAt } = post.record;
      const vectors = new Map<string, Float32Array>();
      const pending: FeatureRequest[] = [];
      if (text) {
        for (const name of models) {
          const request = embeddingRequest(name, text);
          const vector = context.feature(request);
          if (vector) vectors.set(name, vector);
          else pending.push(request);
        }
      }
      if (pending.length) return { pending };
      const score = tree.score(buildFeatures(modules, { text, createdAt }, (name) => vectors.get(name)!, dimensions));
      return { matched: compare([score]), inputs: { model: model_name }, score };
    };
  },
};
