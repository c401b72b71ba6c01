import type { FeatureModule } from '../core/model-entry.ts';

/** What the feature modules read from a post. */
export interface FeatureSource {
  text: string;
  createdAt?: string;
}

const DAY_MS = 86_400_000;

/** The embedding models a module list needs, each once. */
export function vectorizerModels(modules: readonly FeatureModule[]): string[] {
  return [...new Set(modules.flatMap((m) => (m.type === 'vectorizer' ? [m.model_name] : [])))];
}

/** One name per produced feature, in order (also the model's `feature_names`). */
export function featureNames(modules: readonly FeatureModule[], dimensions: (model: string) => number): string[] {
  return modules.flatMap((m) => {
    if (m.type === 'time_features') return ['hour_utc', 'weekday_index'];
    if (m.type === 'post_metadata') return ['text_length', 'exclamation_count'];
    return Array.from({ length: dimensions(m.model_name) }, (_, i) => `${m.model_name}[${i}]`);
  });
}

/**
 * The feature vector of one post: `time_features` = [hour of createdAt (UTC), days since epoch mod 7]
 * (missing when createdAt does not parse), `vectorizer` = the text's embedding (zeros for an empty
 * text), `post_metadata` = [text length in code points, count of "!"], concatenated in order.
 */
export function buildFeatures(modules: readonly FeatureModule[], source: FeatureSource, embedding: (model: string) => Float32Array, dimensions: (model: string) => number): Float32Array {
  const values: number[] = [];
  for (const m of modules) {
    if (m.type === 'time_features') {
      const ms = source.createdAt ? Date.parse(source.createdAt) : Number.NaN;
      const days = Math.floor(ms / DAY_MS);
      values.push(new Date(ms).getUTCHours(), ((days % 7) + 7) % 7);
    } else if (m.type === 'post_metadata') {
      values.push([...source.text].length, source.text.split('!').length - 1);
    } else {
      const vector = source.text ? embedding(m.model_name) : new Float32Array(dimensions(m.model_name));
      for (const v of vector) values.push(v);
    }
  }
  return Float32Array.from(values);
}
