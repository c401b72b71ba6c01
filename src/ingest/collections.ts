import { POST_COLLECTION } from '../consolidate/index.ts';
import type { CompiledManifest } from '../manifests/load.ts';

/** What to ask Jetstream for: posts always, plus every collection a loaded manifest's operators declare. */
export function wantedCollections(manifests: readonly CompiledManifest[]): string[] {
  return [...new Set([POST_COLLECTION, ...manifests.flatMap((m) => m.collections)])].sort();
}
