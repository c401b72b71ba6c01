import { fileURLToPath } from 'node:url';

/** `../shared/data/` beside the checkout: recorded events, feeds, models and training data for tests. */
export const SHARED_DATA = fileURLToPath(new URL('../../../shared/data/', import.meta.url));

export function sharedData(relative: string): string {
  return fileURLToPath(new URL(relative, new URL('../../../shared/data/', import.meta.url)));
}
