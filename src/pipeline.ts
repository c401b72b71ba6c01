import { consolidateJetstreamEvent } from './consolidate/jetstream.ts';
import type { ConsolidatedPost } from './consolidate/post.ts';
import { evaluateBatch } from './evaluate/index.ts';
import type { EmitSummary, Labeler } from './label/index.ts';
import type { Logger } from './log.ts';
import type { CompiledManifest } from './manifests/load.ts';

export interface PipelineOptions {
  labeler: Labeler;
  manifests: () => readonly CompiledManifest[];
  logger: Logger;
}

/**
 * consolidate → evaluate → label, for one batch of raw Jetstream events. The same function serves
 * the live stream and replays, so what an operator tests is what runs.
 */
export function createPipeline({ labeler, manifests, logger }: PipelineOptions) {
  return async (events: readonly unknown[]): Promise<EmitSummary> => {
    const posts = new Map<string, ConsolidatedPost>();
    const deletes: string[] = [];
    for (const event of events) {
      const result = consolidateJetstreamEvent(event);
      if (result.kind === 'post') posts.set(result.post.uri, result.post);
      else if (result.kind === 'post-delete') {
        posts.delete(result.uri);
        deletes.push(result.uri);
      } else if (result.kind === 'malformed') logger.debug({ reason: result.reason }, 'malformed event skipped');
    }
    const current = manifests();
    const verdicts = await evaluateBatch([...posts.values()], current);
    return labeler.apply(verdicts, deletes, new Map(current.map((m) => [m.label.value, m.label])));
  };
}
