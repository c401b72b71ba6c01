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
    const undecided = verdicts.filter((v) => v.matched === null);
    for (const v of verdicts) if (v.matched) metrics.manifestMatches.inc({ label: v.label });
    for (const v of undecided) metrics.undecidedVerdicts.inc({ label: v.label });
    // One line per batch: an outage of a remote classifier would otherwise log every post.
    if (undecided.length) logger.warn({ undecided: undecided.length, labels: [...new Set(undecided.map((v) => v.label))], reason: undecided[0]!.undecided }, 'verdicts left undecided: no label change for those posts');
    const summary = await labeler.apply(verdicts, deletes, new Map(current.map((m) => [m.label.value, m.label])));
    for (const row of summary.labelled) metrics.labelsEmitted.inc({ label: row.val });
    for (const row of summary.negated) metrics.labelsNegated.inc({ label: row.val });
    timer();
    logger.debug({ events: events.length, posts: posts.size, deletes: deletes.length, labelled: summary.labelled.length, negated: summary.negated.length }, 'batch processed');
    return summary;
  };
}
