import fs from 'node:fs';
import { loadConfig } from '../../config.ts';
import { EmbedderRegistry, EmbedderUnavailableError } from '../../models/embedders/registry.ts';
import { vectorizerModels } from '../../models/features.ts';
import { DatasetError, readExamples } from '../../models/train/dataset.ts';
import { DEFAULT_GBDT_OPTIONS } from '../../models/train/gbdt.ts';
import { parseFeatureModules, trainModel, writeTrainedModel } from '../../models/train/train-model.ts';
import { CliError, UsageError, type Command } from '../command.ts';
import { inputFile } from '../inputs.ts';
import { progress } from '../progress.ts';

const TEST_FRACTION = 0.2;

function numberOption(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got ${JSON.stringify(value)}`);
  return n;
}

export const train: Command = {
  name: 'train',
  summary: 'Train a gradient-boosted tree classifier on labelled posts and write it (XGBoost JSON + model card) to MODELS_DIR/<model-name>/.',
  usage: 'train <model-name> --data <labelled.jsonl|csv> --features <modules> [options]',
  positionals: { min: 1, max: 1 },
  options: {
    data: { type: 'string', value: '<file>', required: true, description: 'Labelled posts: JSON lines or a CSV with a header, fields text, label (0, 1, true or false) and optionally createdAt.' },
    features: {
      type: 'string',
      value: '<modules>',
      required: true,
      description: 'Feature modules in order, comma-separated: time_features, vectorizer[:<embedding model>], post_metadata.',
    },
    about: { type: 'string', value: '<notes.md>', description: 'Markdown on where the data came from and how it was labelled, copied into the model card.' },
    rounds: { type: 'string', value: '<n>', description: 'Boosting rounds (trees).', default: String(DEFAULT_GBDT_OPTIONS.rounds) },
    depth: { type: 'string', value: '<n>', description: 'Largest depth of a tree.', default: String(DEFAULT_GBDT_OPTIONS.maxDepth) },
    'learning-rate': { type: 'string', value: '<x>', description: "Shrinkage of each tree's contribution.", default: String(DEFAULT_GBDT_OPTIONS.learningRate) },
    'test-fraction': { type: 'string', value: '<x>', description: 'Share of the examples held out to measure the model.', default: String(TEST_FRACTION) },
    seed: { type: 'string', value: '<n>', description: 'Seed of the split and of the row sampling.', default: String(DEFAULT_GBDT_OPTIONS.seed) },
  },
  async run({ positionals, values }) {
    const name = positionals[0]!;
    if (!/^[\w.-]+$/.test(name)) throw new UsageError(`model name "${name}" may only hold letters, digits, "_", "." and "-"`);
    let modules;
    try {
      modules = parseFeatureModules(values.features as string);
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
    const dataFile = inputFile(values.data as string, 'a file of labelled posts (JSON lines or CSV with text and label)');
    const about = typeof values.about === 'string' ? fs.readFileSync(inputFile(values.about, 'a Markdown file about the data'), 'utf8') : undefined;
    const config = loadConfig();
    const embedders = new EmbedderRegistry({ modelsDir: config.MODELS_DIR, allowRemote: config.MODELS_ALLOW_REMOTE });
    const shown = progress(`train ${name}`);
    let result;
    try {
      // Before reading and embedding thousands of texts: a missing model is found at once.
      await Promise.all(vectorizerModels(modules).map((model) => embedders.resolve(model)));
      result = await trainModel({
        name,
        dataFile,
        examples: readExamples(dataFile),
        modules,
        embedders,
        options,
        testFraction: numberOption(values['test-fraction'], 'test-fraction', TEST_FRACTION),
        about,
        batchSize: config.EMBEDDING_BATCH_SIZE,
        onProgress: (detail) => shown.update(detail),
      });
    } catch (error) {
      if (error instanceof EmbedderUnavailableError || error instanceof DatasetError) throw new CliError(error.message);
      throw error;
    } finally {
      shown.done();
    }
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
