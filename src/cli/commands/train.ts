import fs from 'node:fs';
import { loadConfig } from '../../config.ts';
import { EmbedderRegistry } from '../../models/embedders/registry.ts';
import { readExamples } from '../../models/train/dataset.ts';
import { DEFAULT_GBDT_OPTIONS } from '../../models/train/gbdt.ts';
import { parseFeatureModules, trainModel, writeTrainedModel } from '../../models/train/train-model.ts';
import { UsageError, type Command } from '../command.ts';

function numberOption(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got ${JSON.stringify(value)}`);
  return n;
}

export const train: Command = {
  name: 'train',
  summary: 'Train a gradient-boosted tree classifier on labelled posts and write it (XGBoost JSON + model card) to MODELS_DIR/<model-name>/.',
  usage:
    'train <model-name> --data <labelled.jsonl|csv> --features <time_features,vectorizer[:model],post_metadata> [--about notes.md] [--rounds N] [--depth N] [--learning-rate X] [--test-fraction X] [--seed N]',
  positionals: { min: 1, max: 1 },
  options: {
    data: { type: 'string' },
    features: { type: 'string' },
    about: { type: 'string' },
    rounds: { type: 'string' },
    depth: { type: 'string' },
    'learning-rate': { type: 'string' },
    'test-fraction': { type: 'string' },
    seed: { type: 'string' },
  },
  async run({ positionals, values }) {
    const name = positionals[0]!;
    if (!/^[\w.-]+$/.test(name)) throw new UsageError(`model name "${name}" may only hold letters, digits, "_", "." and "-"`);
    if (typeof values.data !== 'string' || typeof values.features !== 'string') throw new UsageError('--data and --features are required');
    let modules;
    try {
      modules = parseFeatureModules(values.features);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const options = {
      ...DEFAULT_GBDT_OPTIONS,
      rounds: numberOption(values.rounds, 'rounds', DEFAULT_GBDT_OPTIONS.rounds),
      maxDepth: numberOption(values.depth, 'depth', DEFAULT_GBDT_OPTIONS.maxDepth),
      learningRate: numberOption(values['learning-rate'], 'learning-rate', DEFAULT_GBDT_OPTIONS.learningRate),
      seed: numberOption(values.seed, 'seed', DEFAULT_GBDT_OPTIONS.seed),
    };
    const config = loadConfig();
    const embedders = new EmbedderRegistry({ modelsDir: config.MODELS_DIR, allowRemote: config.MODELS_ALLOW_REMOTE });
    const result = await trainModel({
      name,
      dataFile: values.data,
      examples: readExamples(values.data),
      modules,
      embedders,
      options,
      testFraction: numberOption(values['test-fraction'], 'test-fraction', 0.2),
      about: typeof values.about === 'string' ? fs.readFileSync(values.about, 'utf8') : undefined,
      batchSize: config.EMBEDDING_BATCH_SIZE,
    });
    const file = writeTrainedModel(config.MODELS_DIR, name, result);
    for (const [split, m] of Object.entries(result.metrics)) {
      console.log(
        `${split.padEnd(5)} n=${m.count} accuracy=${m.accuracy.toFixed(3)} precision=${m.precision.toFixed(3)} recall=${m.recall.toFixed(3)} f1=${m.f1.toFixed(3)} brier=${m.brier.toFixed(3)}`,
      );
    }
    console.log(`wrote ${file} and its MODEL_CARD.md`);
    return 0;
  },
};
