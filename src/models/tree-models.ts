import fs from 'node:fs';
import path from 'node:path';
import { serviceKey } from '../core/services.ts';
import { loadXGBoostModel } from './load-xgboost.ts';
import type { XGBoostModel } from './xgboost.ts';

/** The file a tree model named `name` lives in: `<models dir>/<name>/model.json` (XGBoost JSON). */
export const treeModelFile = (modelsDir: string, name: string) => path.join(modelsDir, name, 'model.json');

/** The compile-time service `model_probability` looks up. */
export const TREE_MODELS = serviceKey<TreeModelStore>('tree-models');

/** Opens tree models by name from the models directory, each once per process. */
export class TreeModelStore {
  readonly #loaded = new Map<string, XGBoostModel>();

  constructor(readonly modelsDir: string) {}

  load(name: string): XGBoostModel {
    let model = this.#loaded.get(name);
    if (!model) {
      const file = treeModelFile(this.modelsDir, name);
      if (!fs.existsSync(file)) {
        throw new Error(`tree model "${name}" not found: expected ${file} (train one with "skysift train ${name} --data <labelled.jsonl|csv> --features <modules>")`);
      }
      model = loadXGBoostModel(file);
      this.#loaded.set(name, model);
    }
    return model;
  }
}
