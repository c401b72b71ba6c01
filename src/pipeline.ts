import { consolidateJetstreamEvent, consolidateValidEvent, type Consolidated, type JetstreamEvent } from './consolidate/index.ts';
import type { ConsolidatedPost } from './consolidate/post.ts';
import type { Services } from './core/services.ts';
import type { ConsolidatedProfile } from './consolidate/profile.ts';
import { decideBatch, decisionsOf, type BatchDecisions, type Decisions } from './evaluate/index.ts';
import { accountDecisions, joinDecisions, manifestSubset } from './evaluate/views.ts';
import { deletedAccountVerdicts, type AccountLabels } from './label/account-labels.ts';
import type { DecidedBatch, EmitSummary, Labeler } from './label/index.ts';
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
  /** Account labels aggregated from posts; without it, account manifests that aggregate posts are not run. */
  accounts?: AccountLabels;
  logger: Logger;
  metrics: Metrics;
}

/** What one batch brings besides posts: profiles (an account manifest decides on them) and accounts deleted. */
export interface AccountChanges {
  profiles?: readonly ConsolidatedProfile[];
  deletedAccounts?: readonly string[];
}

/** The loaded manifests by what they decide on: posts (post labels and account aggregates) or profiles. */
interface ManifestSets {
  onPosts: readonly CompiledManifest[];
  /** Per manifest of `onPosts`: whether its verdicts label the post itself. */
  labelsPosts: readonly boolean[];
  /** Every manifest of `onPosts` labels posts: the batch's decisions go to the labeler as they are. */
  onlyPostLabels: boolean;
  onProfiles: readonly CompiledManifest[];
}

// Per loaded list, so the evaluation plans (cached per list) are built once per reload.
const manifestSets = new WeakMap<readonly CompiledManifest[], ManifestSets>();

function setsOf(current: readonly CompiledManifest[]): ManifestSets {
  let sets = manifestSets.get(current);
  if (!sets) {
    const onPosts = current.filter((m) => m.subject.kind !== 'profile');
    const labelsPosts = onPosts.map((m) => m.subject.kind === 'post');
    sets = { onPosts, labelsPosts, onlyPostLabels: labelsPosts.every(Boolean), onProfiles: current.filter((m) => m.subject.kind === 'profile') };
    manifestSets.set(current, sets);
  }
  return sets;
}

export interface Pipeline {
  /**
   * One batch of raw Jetstream events (a replay's lines): validated, consolidated, then `posts`. A
   * `cursor` (the stream position the batch ends at) is committed with the batch's labels.
   */
  (events: readonly unknown[], cursor?: CursorAdvance): Promise<EmitSummary>;
  /** The same for events the stream's frame reader has validated: each event is validated once. */
  validated(events: readonly JetstreamEvent[]): Promise<EmitSummary>;
  /**
   * `validated`, resolving once the batch's label changes are decided: the stream evaluates its next
   * batch while these are signed and committed, in order.
   */
  decide(events: readonly JetstreamEvent[]): Promise<DecidedBatch>;
  /** Consolidated posts from any source (firehose, feed sync) and post deletions (and profiles, deleted accounts): store → evaluate → label. */
  posts(posts: readonly ConsolidatedPost[], deletes: readonly string[], accountChanges?: AccountChanges, cursor?: CursorAdvance): Promise<EmitSummary>;
  /** Re-decides the accounts whose aggregate windows lost posts to age (the cron sweep). */
  sweepAccounts(): Promise<EmitSummary>;
}

/**
 * consolidate → store → evaluate → label. The same function serves the live stream, feed syncs and
 * replays, so what an operator tests is what runs. The stored (merged) copy of a post is evaluated,
 * so a post seen in the firehose and in a feed is judged with the best of both.
 * Undecided verdicts (a failed feature) are counted and logged; the labeler leaves their label state as it was.
 * Verdicts are decided without explanations; the labeler has the few that change a label explained.
 */
export function createPipeline({ labeler, manifests, services, store, accounts, logger, metrics }: PipelineOptions): Pipeline {
  const count = (manifestList: readonly CompiledManifest[], decisions: BatchDecisions) => {
    const matches = new Int32Array(manifestList.length);
    const undecided = new Int32Array(manifestList.length);
    let reason: string | undefined;
    for (let i = 0; i < decisions.size; i++) {
      const matched = decisions.matched(i);
      if (matched) matches[i % manifestList.length]!++;
      else if (matched === null) {
        undecided[i % manifestList.length]!++;
        reason ??= decisions.undecided(i);
      }
    }
    manifestList.forEach(({ label }, m) => {
      if (matches[m]) metrics.manifestMatches.inc({ label: label.value }, matches[m]);
      if (undecided[m]) metrics.undecidedVerdicts.inc({ label: label.value }, undecided[m]);
    });
    // One line per batch: an outage of a remote classifier would otherwise log every post.
    if (reason !== undefined) {
      const labels = manifestList.filter((_, m) => undecided[m]).map((m) => m.label.value);
      logger.warn({ undecided: undecided.reduce((sum, n) => sum + n, 0), labels, reason }, 'verdicts left undecided: no label change for those posts');
    }
  };
  const label = async (decisions: Decisions, deletes: readonly string[], current: readonly CompiledManifest[], cursor?: CursorAdvance): Promise<DecidedBatch> => {
    const { committed } = await labeler.decide(decisions, [...deletes], new Map(current.map((m) => [m.label.value, m.label])), cursor);
    return {
      committed: committed.then((summary) => {
        for (const row of summary.labelled) metrics.labelsEmitted.inc({ label: row.val });
        for (const row of summary.negated) metrics.labelsNegated.inc({ label: row.val });
        return summary;
      }),
    };
  };
  const decidePosts = async (incoming: readonly ConsolidatedPost[], deletes: readonly string[], { profiles = [], deletedAccounts = [] }: AccountChanges = {}, cursor?: CursorAdvance): Promise<DecidedBatch> => {
    const timer = metrics.evaluationSeconds.startTimer();
    const posts = store.upsert(incoming);
    store.delete(deletes);
    const current = manifests();
    const sets = setsOf(current);
    const decisions = await decideBatch(posts, sets.onPosts, services.providers, services.memberships());
    metrics.postsEvaluated.inc(posts.length);
    count(sets.onPosts, decisions);
    const parts: Decisions[] = [sets.onlyPostLabels ? decisions : manifestSubset(decisions, sets.onPosts.length, sets.labelsPosts)];
    if (accounts) parts.push(decisionsOf(accounts.fromPosts(decisions, posts, sets.onPosts, deletes)));
    if (profiles.length && sets.onProfiles.length) {
      const onProfiles = await decideBatch(profiles, sets.onProfiles, services.providers, services.memberships());
      count(sets.onProfiles, onProfiles);
      parts.push(accountDecisions(onProfiles));
    }
    if (deletedAccounts.length) {
      accounts?.forgetAccounts(deletedAccounts, current);
      parts.push(decisionsOf(deletedAccountVerdicts(deletedAccounts, current)));
    }
    const { committed } = await label(joinDecisions(parts), deletes, current, cursor);
    return {
      committed: committed.then((summary) => {
        timer();
        logger.debug({ posts: posts.length, deletes: deletes.length, profiles: profiles.length, labelled: summary.labelled.length, negated: summary.negated.length }, 'batch processed');
        return summary;
      }),
    };
  };
  const committed = async ({ committed }: DecidedBatch) => committed;
  const sweepAccounts = async (): Promise<EmitSummary> => {
    const current = manifests();
    return accounts ? committed(await label(decisionsOf(accounts.sweep(current)), [], current)) : { labelled: [], negated: [] };
  };
  const decideEvents = <E>(consolidate: (event: E) => Consolidated) => async (events: readonly E[], cursor?: CursorAdvance): Promise<DecidedBatch> => {
    const posts = new Map<string, ConsolidatedPost>();
    const deletes: string[] = [];
    const profiles = new Map<string, ConsolidatedProfile>();
    const deletedAccounts: string[] = [];
    services.observe(events);
    for (const event of events) {
      const { kind, commit } = (event ?? {}) as { kind?: unknown; commit?: { collection?: unknown } };
      metrics.eventsIn.inc({ kind: String(kind), collection: String(commit?.collection ?? '') });
      const result = consolidate(event);
      if (result.kind === 'post') posts.set(result.post.uri, result.post);
      else if (result.kind === 'post-delete') {
        posts.delete(result.uri);
        deletes.push(result.uri);
      } else if (result.kind === 'profile') profiles.set(result.profile.uri, result.profile);
      else if (result.kind === 'identity') store.recordHandle(result.did, result.handle, result.timeUs);
      else if (result.kind === 'account') {
        store.recordAccount(result.did, result.active, result.status, result.timeUs);
        // A deactivated or taken-down account keeps its labels; only a deleted one loses its account labels.
        if (result.status === 'deleted') deletedAccounts.push(result.did);
      }
      else if (result.kind === 'malformed') {
        metrics.malformed.inc({ reason: result.code });
        logger.debug({ reason: result.reason }, 'malformed event skipped');
      }
    }
    return decidePosts([...posts.values()], deletes, { profiles: [...profiles.values()], deletedAccounts }, cursor);
  };
  const decideJetstream = decideEvents(consolidateJetstreamEvent);
  const decideValid = decideEvents(consolidateValidEvent);
  return Object.assign(async (events: readonly unknown[], cursor?: CursorAdvance) => committed(await decideJetstream(events, cursor)), {
    validated: async (events: readonly JetstreamEvent[]) => committed(await decideValid(events)),
    decide: decideValid,
    posts: async (...args: Parameters<typeof decidePosts>) => committed(await decidePosts(...args)),
    sweepAccounts,
  });
}
