import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FeatureModuleSchema, type FeatureModule } from '../../core/model-entry.ts';
import { UNIVERSAL_SENTENCE_ENCODER } from '../embedders/embedder.ts';
import type { EmbedderRegistry } from '../embedders/registry.ts';
import { buildFeatures, featureNames, vectorizerModels } from '../features.ts';
import { treeModelFile } from '../tree-models.ts';
import type { Example } from './dataset.ts';
import { DatasetError, splitExamples } from './dataset.ts';
import { boosterProbability, trainGbdt, type Booster, type GbdtOptions } from './gbdt.ts';
import { classificationMetrics, type ClassificationMetrics } from './metrics.ts';
import { toXGBoostJson } from './xgboost-json.ts';

/** Parses `time_features,vectorizer:<model>,post_metadata` (a bare `vectorizer` uses the offline model). */
export function parseFeatureModules(spec: string): FeatureModule[] {
  return spec.split(',').map((part) => {
    const [type, model] = part.trim().split(':');
    const parsed = FeatureModuleSchema.safeParse(type === 'vectorizer' ? { type, model_name: model || UNIVERSAL_SENTENCE_ENCODER } : { type });
    if (!parsed.success || (model && type !== 'vectorizer')) throw new Error(`unknown feature module "${part}": use time_features, vectorizer[:<embedding model>] or post_metadata`);
    return parsed.data;
  });
}

export interface TrainRequest {
  name: string;
  dataFile: string;
  examples: Example[];
  modules: FeatureModule[];
  embedders: EmbedderRegistry;
  options: GbdtOptions;
  testFraction: number;
  /** Markdown explaining where the data came from and how it was labelled, copied into the card. */
  about?: string;
  batchSize?: number;
  /** Told what the trainer is doing ("embedding training texts 320/1106", ...), for a progress line. */
  onProgress?: (detail: string) => void;
}

export interface TrainResult {
  booster: Booster;
  featureNames: string[];
  metrics: { train: ClassificationMetrics; test: ClassificationMetrics };
  /** The held-out rows and the probabilities the trainer gives them (for checking the written model). */
  test: { rows: Float32Array[]; probabilities: number[] };
  modelJson: ReturnType<typeof toXGBoostJson>;
  card: string;
}

/** Feature vectors of examples, embedding their texts in batches. */
async function featurise(examples: readonly Example[], modules: FeatureModule[], embedders: EmbedderRegistry, batchSize: number, report: (done: number, total: number) => void) {
  const vectors = new Map<string, Float32Array[]>();
  const dims = new Map<string, number>();
  for (const name of vectorizerModels(modules)) {
    const embedder = await embedders.resolve(name);
    dims.set(name, embedder.dimensions);
    const out: Float32Array[] = [];
    // An empty text's vector is never read (buildFeatures uses zeros), so a placeholder keeps rows aligned.
    for (let start = 0; start < examples.length; start += batchSize) {
      out.push(...(await embedder.embed(examples.slice(start, start + batchSize).map((e) => e.text || ' '))));
      report(out.length, examples.length);
    }
    vectors.set(name, out);
  }
  const dimensions = (name: string) => dims.get(name)!;
  const rows = examples.map((e, i) => buildFeatures(modules, e, (name) => vectors.get(name)![i]!, dimensions));
  return { rows, names: featureNames(modules, dimensions) };
}

export async function trainModel(request: TrainRequest): Promise<TrainResult> {
  const { examples, modules, embedders, options, testFraction } = request;
  const { train, test } = splitExamples(examples, testFraction, options.seed);
  if (!train.length || !test.length) throw new DatasetError(`${request.dataFile}: ${examples.length} example(s) leave the training or the test split empty: give more examples`);
  const progress = request.onProgress ?? (() => {});
  const trainSet = await featurise(train, modules, embedders, request.batchSize ?? 16, (done, total) => progress(`embedding training texts ${done}/${total}`));
  const testSet = await featurise(test, modules, embedders, request.batchSize ?? 16, (done, total) => progress(`embedding test texts ${done}/${total}`));
  progress(`boosting ${options.rounds} rounds over ${train.length} examples`);
  const booster = trainGbdt(
    trainSet.rows,
    train.map((e) => e.label),
    options,
  );
  const trainProbabilities = trainSet.rows.map((r) => boosterProbability(booster, r));
  const testProbabilities = testSet.rows.map((r) => boosterProbability(booster, r));
  const metrics = {
    train: classificationMetrics(
      train.map((e) => e.label),
      trainProbabilities,
    ),
    test: classificationMetrics(
      test.map((e) => e.label),
      testProbabilities,
    ),
  };
  const result = { booster, featureNames: trainSet.names, metrics, test: { rows: testSet.rows, probabilities: testProbabilities }, modelJson: toXGBoostJson(booster, trainSet.names) };
  return { ...result, card: modelCard(request, result) };
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;

function modelCard(request: TrainRequest, { metrics, booster }: Omit<TrainResult, 'card'>): string {
  const { name, dataFile, examples, modules, options, testFraction, about } = request;
  const digest = createHash('sha256').update(fs.readFileSync(dataFile)).digest('hex').slice(0, 16);
  const entry = JSON.stringify({ model_name: name, feature_modules: modules });
  const row = (label: string, m: ClassificationMetrics) =>
    `| ${label} | ${m.count} | ${m.positives} | ${pct(m.accuracy)} | ${pct(m.precision)} | ${pct(m.recall)} | ${m.f1.toFixed(3)} | ${m.brier.toFixed(3)} |`;
  return `# Model card: ${name}

- **Model**: gradient-boosted trees (logistic loss), trained by \`skysift train\` (\`src/models/train/gbdt.ts\`), saved as XGBoost JSON in \`model.json\`: ${booster.trees.length} trees, ${booster.featureCount} features, base score ${booster.baseScore.toFixed(4)}.
- **Trained**: ${new Date().toISOString().slice(0, 10)}
- **Data**: \`${path.basename(dataFile)}\` (sha256 ${digest}…), ${examples.length} examples, ${examples.filter((e) => e.label).length} positive; ${pct(testFraction)} held out for testing (seeded shuffle, seed ${options.seed}).
- **Features** (in order): ${modules.map((m) => (m.type === 'vectorizer' ? `vectorizer (${m.model_name})` : m.type)).join(', ')}.
- **Hyperparameters**: ${Object.entries(options)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}.
- **Use** in a manifest's \`models\`: \`${entry}\`, then \`{"model_probability": [{"model_name": "${name}"}, ">=", 0.5]}\`.

## Metrics (threshold 0.5)

| split | examples | positives | accuracy | precision | recall | F1 | Brier |
|---|---|---|---|---|---|---|---|
${row('train', metrics.train)}
${row('test', metrics.test)}
${about ? `\n## Data and labels\n\n${about.trim()}\n` : ''}`;
}

/** Writes `model.json` and `MODEL_CARD.md` under `<models dir>/<name>/`. */
export function writeTrainedModel(modelsDir: string, name: string, result: TrainResult): string {
  const file = treeModelFile(modelsDir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(result.modelJson));
  fs.writeFileSync(path.join(path.dirname(file), 'MODEL_CARD.md'), result.card);
  return file;
}
