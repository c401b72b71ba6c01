import { consolidateJetstreamEvent } from './consolidate/index.ts';
import type { ConsolidatedPost } from './consolidate/post.ts';
import { evaluateBatch } from './evaluate/index.ts';
import type { EmitSummary, Labeler } from './label/index.ts';
import type { Logger } from './log.ts';
import type { CompiledManifest } from './manifests/load.ts';
import type { Metrics } from './metrics.ts';
import type { Services } from './services/index.ts';

export interface PipelineOptions {
  labeler: Labeler;
  manifests: () => readonly CompiledManifest[];
  services: Services;
  logger: Logger;
  metrics: Metrics;
}

/**
 * consolidate → evaluate → label, for one batch of raw Jetstream events. The same function serves
 * the live stream and replays, so what an operator tests is what runs. Undecided verdicts (a failed
 * feature) are counted and logged; the labeler leaves their label state as it was.
 */
export function createPipeline({ labeler, manifests, services, logger, metrics }: PipelineOptions) {
  return async (events: readonly unknown[]): Promise<EmitSummary> => {
    const timer = metrics.evaluationSeconds.startTimer();
    const posts = new Map<string, ConsolidatedPost>();
    const deletes: string[] = [];
    services.observe(events);
    for (const event of events) {
      const { kind, commit } = (event ?? {}) as { kind?: unknown; commit?: { collection?: unknown } };
      metrics.eventsIn.inc({ kind: String(kind), collection: String(commit?.collection ?? '') });
      const result = consolidateJetstreamEvent(event);
      if (result.kind === 'post') posts.set(result.post.uri, result.post);
      else if (result.kind === 'post-delete') {
        posts.delete(result.uri);
        deletes.push(result.uri);
      } else if (result.kind === 'malformed') {
        metrics.malformed.inc({ reason: result.code });
        logger.debug({ reason: result.reason }, 'malformed event skipped');
      }
    }
    const current = manifests();
    const verdicts = await evaluateBatch([...posts.values()], current, services.providers, services.memberships());
    metrics.postsEvaluated.inc(posts.size);
    for (const v of verdicts) {
      if (v.matched) metrics.manifestMatches.inc({ label: v.label });
      else if (v.matched === null) {
        metrics.undecidedVerdicts.inc({ label: v.label });
        logger.warn({ uri: v.uri, label: v.label, reason: v.undecided }, 'verdict undecided: no label change for this post');
      }
    }
    const summary = await labeler.apply(verdicts, deletes, new Map(current.map((m) => [m.label.value, m.label])));
    for (const row of summary.labelled) metrics.labelsEmitted.inc({ label: row.val });
    for (const row of summary.negated) metrics.labelsNegated.inc({ label: row.val });
    timer();
    return summary;
  };
}
