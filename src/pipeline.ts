import { consolidateJetstreamEvent, consolidateValidEvent, type Consolidated, type JetstreamEvent } from './consolidate/index.ts';
import type { ConsolidatedPost } from './consolidate/post.ts';
import type { Services } from './core/services.ts';
import { decideBatch } from './evaluate/index.ts';
import type { EmitSummary, Labeler } from './label/index.ts';
import type { CursorAdvance } from './label/store.ts';
import type { Logger } from './log.ts';
import type { CompiledManifest } from './manifests/load.ts';
import type { Metrics } from './metrics.ts';
import type { PostStore } from './store/posts.ts';

export interface PipelineOptions {
  labeler: Labeler;
  manifests: () => readonly CompiledManifest[];
  services: Services;
  store: PostStore;
  logger: Logger;
  metrics: Metrics;
}

export interface Pipeline {
  /**
   * One batch of raw Jetstream events (a replay's lines): validated, consolidated, then `posts`. A
   * `cursor` (the stream position the batch ends at) is committed with the batch's labels.
   */
  (events: readonly unknown[], cursor?: CursorAdvance): Promise<EmitSummary>;
  /** The same for events the stream's frame reader has validated: each event is validated once. */
  validated(events: readonly JetstreamEvent[]): Promise<EmitSummary>;
  /** Consolidated posts from any source (firehose, feed sync) and post deletions: store → evaluate → label. */
  posts(posts: readonly ConsolidatedPost[], deletes: readonly string[], cursor?: CursorAdvance): Promise<EmitSummary>;
}

/**
 * consolidate → store → evaluate → label. The same function serves the live stream, feed syncs and
 * replays, so what an operator tests is what runs. The stored (merged) copy of a post is evaluated,
 * so a post seen in the firehose and in a feed is judged with the best of both.
 * Undecided verdicts (a failed feature) are counted and logged; the labeler leaves their label state as it was.
 * Verdicts are decided without explanations; the labeler has the few that change a label explained.
 */
export function createPipeline({ labeler, manifests, services, store, logger, metrics }: PipelineOptions): Pipeline {
  const processPosts = async (incoming: readonly ConsolidatedPost[], deletes: readonly string[], cursor?: CursorAdvance): Promise<EmitSummary> => {
    const timer = metrics.evaluationSeconds.startTimer();
    const posts = store.upsert(incoming);
    store.delete(deletes);
    const current = manifests();
    const decisions = await decideBatch(posts, current, services.providers, services.memberships());
    metrics.postsEvaluated.inc(posts.length);
    const matches = new Int32Array(current.length);
    const undecided = new Int32Array(current.length);
    let reason: string | undefined;
    for (let i = 0; i < decisions.size; i++) {
      const matched = decisions.matched(i);
      if (matched) matches[i % current.length]!++;
      else if (matched === null) {
        undecided[i % current.length]!++;
        reason ??= decisions.undecided(i);
      }
    }
    current.forEach(({ label }, m) => {
      if (matches[m]) metrics.manifestMatches.inc({ label: label.value }, matches[m]);
      if (undecided[m]) metrics.undecidedVerdicts.inc({ label: label.value }, undecided[m]);
    });
    // One line per batch: an outage of a remote classifier would otherwise log every post.
    if (reason !== undefined) {
      const labels = current.filter((_, m) => undecided[m]).map((m) => m.label.value);
      logger.warn({ undecided: undecided.reduce((sum, n) => sum + n, 0), labels, reason }, 'verdicts left undecided: no label change for those posts');
    }
    const summary = await labeler.apply(decisions, [...deletes], new Map(current.map((m) => [m.label.value, m.label])), cursor);
    for (const row of summary.labelled) metrics.labelsEmitted.inc({ label: row.val });
    for (const row of summary.negated) metrics.labelsNegated.inc({ label: row.val });
    timer();
    logger.debug({ posts: posts.length, deletes: deletes.length, labelled: summary.labelled.length, negated: summary.negated.length }, 'batch processed');
    return summary;
  };
  const processEvents = <E>(consolidate: (event: E) => Consolidated) => async (events: readonly E[], cursor?: CursorAdvance): Promise<EmitSummary> => {
    const posts = new Map<string, ConsolidatedPost>();
    const deletes: string[] = [];
    services.observe(events);
    for (const event of events) {
      const { kind, commit } = (event ?? {}) as { kind?: unknown; commit?: { collection?: unknown } };
      metrics.eventsIn.inc({ kind: String(kind), collection: String(commit?.collection ?? '') });
      const result = consolidate(event);
      if (result.kind === 'post') posts.set(result.post.uri, result.post);
      else if (result.kind === 'post-delete') {
        posts.delete(result.uri);
        deletes.push(result.uri);
      } else if (result.kind === 'identity') store.recordHandle(result.did, result.handle, result.timeUs);
      else if (result.kind === 'account') store.recordAccount(result.did, result.active, result.status, result.timeUs);
      else if (result.kind === 'malformed') {
        metrics.malformed.inc({ reason: result.code });
        logger.debug({ reason: result.reason }, 'malformed event skipped');
      }
    }
    return processPosts([...posts.values()], deletes, cursor);
  };
  return Object.assign(processEvents(consolidateJetstreamEvent), { validated: processEvents(consolidateValidEvent), posts: processPosts });
}
