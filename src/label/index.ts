import type { Database } from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { decisionsOf, type Decisions, type Verdict } from '../evaluate/index.ts';
import type { Logger } from '../log.ts';
import { durationMs, type Label } from '../manifests/label.ts';
import type { Metrics } from '../metrics.ts';
import type { LabelerIdentity } from './identity.ts';
import { importLegacyLabels } from './legacy-import.ts';
import { PendingChanges } from './pending-changes.ts';
import { Sequencer } from './sequencer.ts';
import { createLabelServer } from './server.ts';
import { LabelSigner } from './signer.ts';
import { SqliteLabelStore } from './sqlite-store.ts';
import { activeKey, type CursorAdvance, type LabelCommit, type LabelOverride, type LabelStateRow, type LabelStore, type ManifestDecision, type SubjectValue } from './store.ts';

export interface LabelerOptions {
  identity: LabelerIdentity;
  db: Database;
  /** The label store; by default the SQLite one in `db`, which also imports a data directory's labels from before the label log. */
  store?: LabelStore;
  /** Where a data directory written before the label log keeps `labels.db`, imported on first use. */
  dataDir: string;
  logger: Logger;
  metrics?: Metrics;
  /** Worker threads that sign labels; 0 (the default) signs on the calling thread. */
  signingThreads?: number;
}

export interface EmitSummary {
  labelled: LabelStateRow[];
  negated: LabelStateRow[];
}

/** A batch whose label changes are decided; they are signed and committed in the order batches were decided. */
export interface DecidedBatch {
  /** Settles once the changes are committed (or failed: then so does every batch decided after it before it settled). */
  committed: Promise<EmitSummary>;
}

/** A human decision to apply (`active`) or negate a label, with who took it and why. */
export interface ManualDecision {
  uri: string;
  val: string;
  active: boolean;
  /** The version a label applied by hand is for (a post's current cid); undefined: any version. */
  cid?: string;
  by: string;
  reason?: string;
  reportId?: number;
}

/** The explanation of a label state a human decided: one `manual` entry saying who and why. */
const manualExplanation = (o: Pick<LabelOverride, 'active' | 'createdBy' | 'reason'>) =>
  JSON.stringify([{ path: 'manual', op: 'manual', result: o.active, inputs: { reason: `by ${o.createdBy}${o.reason ? `: ${o.reason}` : ''}` } }]);

/** What the manifests decided, read from the label state before a human overrides it. */
const decisionOf = (row: LabelStateRow | undefined): ManifestDecision =>
  row?.manifestVersion === MANUAL_VERSION || !row
    ? { active: false, cid: row?.cid ?? null, manifestVersion: null, explanation: null }
    : { active: row.active, cid: row.cid, manifestVersion: row.manifestVersion, explanation: row.explanation };

/** The `manifestVersion` of label state a human decided. */
export const MANUAL_VERSION = 'manual';

/** Lifts a label for a reason other than a verdict (`op` shows in `skysift explain`); it keeps the label's cid. */
function negation(row: LabelStateRow, cts: string, op: 'delete' | 'manifest-removed'): LabelStateRow {
  return { ...row, active: false, cts, exp: null, explanation: JSON.stringify([{ path: op, op, result: true }]) };
}

/**
 * The label stage: diffs decisions against label state, signs the changes, and commits labels and state
 * together in the label store; subscribers hear of them only after the commit. Serves subscribeLabels
 * and queryLabels from the same store. Decisions are taken one at a time, so two batches never decide
 * against the same state. Signing and committing a batch may overlap deciding the next one (the stream
 * does that, so that a core signs while the other evaluates): the next batch decides against the
 * pending changes as well as the store, and commits only after them, or fails with them.
 */
export class Labeler {
  readonly store: LabelStore;
  private readonly sequencer: Sequencer;
  /** The signer, once a data directory from before the label log has been imported. */
  private readonly ready: Promise<LabelSigner>;
  private app: FastifyInstance | undefined;
  private turn: Promise<unknown> = Promise.resolve();
  private readonly pending = new PendingChanges();
  /** The last commit queued, and how many queued commits have not settled. */
  private commits: Promise<unknown> = Promise.resolve();
  private committing = 0;

  constructor(private readonly options: LabelerOptions) {
    const store = options.store ?? new SqliteLabelStore(options.db);
    this.store = store;
    this.sequencer = new Sequencer(store, options.logger);
    this.ready = LabelSigner.open(options.identity, options.signingThreads).then(async (signer) => {
      if (store instanceof SqliteLabelStore) await importLegacyLabels({ db: options.db, store, dataDir: options.dataDir, signer, logger: options.logger });
      return signer;
    });
    // Awaited by every use; a failure is reported there, not as an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  /** Starts serving on `port` (0 picks a free one), with `routes` of ours on the same app. */
  async start(port: number, host = '0.0.0.0', routes?: (app: FastifyInstance) => void): Promise<string> {
    await this.ready;
    await this.sequencer.start();
    const { store, sequencer } = this;
    this.app = await createLabelServer({ store, sequencer, logger: this.options.logger, metrics: this.options.metrics, routes });
    return this.app.listen({ port, host });
  }

  async close(): Promise<void> {
    await this.turn;
    await this.commits.catch(() => undefined);
    await this.sequencer.stop();
    await this.app?.close();
    await (await this.ready.catch(() => undefined))?.close();
  }

  /**
   * Applies verdicts (new match → label, lost match → negation, same as before → nothing) and post
   * deletions (negate every active label of the post). A negation names the cid of the label it
   * negates, not the post's current one. An undecided verdict (a failed feature) changes nothing.
   * Verdicts come as the evaluator decided them (`Decisions`: an outcome per pair) or as a list; only
   * those that change a label are asked for their explanation. A `cursor` (cluster mode) is moved in the
   * same transaction, even when nothing else changes. Resolves once committed.
   */
  async apply(verdicts: Decisions | readonly Verdict[], deletedUris: readonly string[], labels: ReadonlyMap<string, Label>, cursor?: CursorAdvance): Promise<EmitSummary> {
    return (await this.decide(verdicts, deletedUris, labels, cursor)).committed;
  }

  /** `apply`, resolving as soon as the changes are decided: the caller may decide its next batch while they are signed and committed. */
  decide(verdicts: Decisions | readonly Verdict[], deletedUris: readonly string[], labels: ReadonlyMap<string, Label>, cursor?: CursorAdvance): Promise<DecidedBatch> {
    return this.inTurn(async () => {
      const cts = new Date().toISOString();
      const decisions = 'size' in verdicts ? verdicts : decisionsOf(verdicts);
      const deleted = new Set(deletedUris);
      const uris = new Set(deleted);
      for (let i = 0; i < decisions.size; i++) uris.add(decisions.uri(i));
      const after = this.queuedCommits();
      const active = this.pending.activeState(await this.store.activeState([...uris]), uris);
      const overrides = this.pending.overridesOf(await this.store.overrides([...uris]), uris);
      // Active labels by subject: a pair is compared with its subject's without building a key per pair.
      const bySubject = new Map<string, Map<string, LabelStateRow>>();
      for (const row of active.values()) bySubject.set(row.uri, (bySubject.get(row.uri) ?? new Map<string, LabelStateRow>()).set(row.val, row));
      const overriddenSubjects = new Set([...overrides.values()].map((o) => o.uri));
      const changes = new Map<string, LabelStateRow>();
      const remembered: LabelOverride[] = [];
      for (let i = 0; i < decisions.size; i++) {
        const matched = decisions.matched(i);
        if (matched === null) continue;
        const uri = decisions.uri(i);
        const current = bySubject.get(uri)?.get(decisions.label(i));
        const override = overriddenSubjects.has(uri) ? overrides.get(activeKey(uri, decisions.label(i))) : undefined;
        if (override) {
          // A human decided: a verdict that differs from the last one is only remembered, for when the override is cleared.
          if (matched === override.manifest.active || deleted.has(uri)) continue;
          const v = decisions.verdict(i);
          const manifest = { active: matched, cid: matched ? v.cid : (current?.cid ?? v.cid), manifestVersion: v.manifestVersion, explanation: JSON.stringify(v.explanation) };
          remembered.push({ ...override, manifest });
          continue;
        }
        if (matched === Boolean(current) || deleted.has(uri)) continue;
        // The explanation is the reference evaluation: were it ever to disagree with the decision, it wins.
        const v = decisions.verdict(i);
        if (v.matched !== matched) continue;
        const expiresIn = labels.get(v.label)?.expiresIn;
        changes.set(activeKey(v.uri, v.label), {
          uri: v.uri,
          val: v.label,
          cid: current?.cid ?? v.cid,
          active: matched,
          cts,
          exp: matched && expiresIn ? new Date(Date.parse(cts) + durationMs(expiresIn)).toISOString() : null,
          manifestVersion: v.manifestVersion,
          explanation: JSON.stringify(v.explanation),
        });
      }
      for (const row of active.values()) if (deleted.has(row.uri)) changes.set(activeKey(row.uri, row.val), negation(row, cts, 'delete'));
      // A deleted subject takes its human decisions with it.
      const cleared = [...overrides.values()].filter((o) => deleted.has(o.uri));
      const committed = this.queueCommit(after, [...changes.values()], { overrides: remembered, clearedOverrides: cleared, cursor });
      return { committed: committed.then((rows) => ({ labelled: rows.filter((r) => r.active), negated: rows.filter((r) => !r.active) })) };
    });
  }

  /**
   * Negates every active label whose value is not in `loadedValues`: the labels of removed manifests,
   * which no verdict will ever lift (`skysift relabel`). Returns the negations.
   */
  retire(loadedValues: ReadonlySet<string>): Promise<LabelStateRow[]> {
    return this.inSettledTurn(async () => {
      const cts = new Date().toISOString();
      const retired = await this.store.activeOutside(loadedValues);
      return this.commit(
        retired.map((row) => negation(row, cts, 'manifest-removed')),
        { clearedOverrides: retired },
      );
    });
  }

  /**
   * Records a human decision on (subject, value) and applies it: a label or a negation when the state
   * differs, nothing new when it already agrees. It holds against later verdicts until `clearOverride`.
   * Returns the label state it changed, if it changed one.
   */
  override(decision: ManualDecision): Promise<LabelStateRow | undefined> {
    return this.inSettledTurn(async () => {
      const cts = new Date().toISOString();
      const key = activeKey(decision.uri, decision.val);
      const current = (await this.store.forSubject(decision.uri)).find((r) => r.val === decision.val);
      const previous = (await this.store.overrides([decision.uri])).get(key);
      const override: LabelOverride = {
        uri: decision.uri,
        val: decision.val,
        active: decision.active,
        createdAt: cts,
        createdBy: decision.by,
        reason: decision.reason ?? null,
        reportId: decision.reportId ?? null,
        manifest: previous?.manifest ?? decisionOf(current),
      };
      const changes: LabelStateRow[] = [];
      if (decision.active !== Boolean(current?.active)) {
        const cid = decision.active ? (decision.cid ?? null) : (current?.cid ?? null);
        changes.push({ uri: decision.uri, val: decision.val, cid, active: decision.active, cts, exp: null, manifestVersion: MANUAL_VERSION, explanation: manualExplanation(override) });
      }
      const [changed] = await this.commit(changes, { overrides: [override] });
      return changed;
    });
  }

  /**
   * Removes the human decision on (subject, value): the label becomes what the manifests last decided
   * (applied or negated now, when that differs). Returns the override removed and the change, if any.
   */
  clearOverride(subject: SubjectValue): Promise<{ override?: LabelOverride; changed?: LabelStateRow }> {
    return this.inSettledTurn(async () => {
      const override = (await this.store.overrides([subject.uri])).get(activeKey(subject.uri, subject.val));
      if (!override) return {};
      const current = (await this.store.forSubject(subject.uri)).find((r) => r.val === subject.val);
      const { manifest } = override;
      const changes: LabelStateRow[] = [];
      if (manifest.active !== Boolean(current?.active)) {
        const explanation = manifest.explanation ?? JSON.stringify([{ path: 'manual', op: 'manual-cleared', result: false }]);
        const cid = manifest.active ? manifest.cid : (current?.cid ?? null);
        changes.push({ ...subject, cid, active: manifest.active, cts: new Date().toISOString(), exp: null, manifestVersion: manifest.manifestVersion ?? MANUAL_VERSION, explanation });
      }
      const [changed] = await this.commit(changes, { clearedOverrides: [subject] });
      return { override, changed };
    });
  }

  /** Signs throwaway labels on `subjects`, so that the signing code is optimised before the first real label; nothing is kept. */
  async warmUp(subjects: readonly { uri: string; cid: string }[]): Promise<void> {
    const signer = await this.ready;
    const cts = new Date().toISOString();
    await signer.signAll(subjects.map(({ uri, cid }) => ({ uri, cid, val: 'warm-up', neg: false, cts, exp: null })));
  }

  /** Signs the changes, then commits them with their state (and overrides) in one transaction. */
  private async commit(changes: readonly LabelStateRow[], also: Omit<LabelCommit, 'labels' | 'state'> = {}): Promise<LabelStateRow[]> {
    if (!changes.length && !also.overrides?.length && !also.clearedOverrides?.length && !also.cursor) return [];
    const signer = await this.ready;
    const labels = await signer.signAll(changes.map(({ uri, cid, val, active, cts, exp }) => ({ uri, cid, val, neg: !active, cts, exp })));
    await this.store.commit({ labels, state: changes, ...also });
    return [...changes];
  }

  /**
   * Queues a commit after `after` (the commits queued when the batch read the state): it runs only if
   * they succeeded, since the batch decided against their changes. Until it settles, its changes are
   * pending for the batches decided next.
   */
  private queueCommit(after: Promise<unknown>, changes: readonly LabelStateRow[], also: Omit<LabelCommit, 'labels' | 'state'> = {}): Promise<LabelStateRow[]> {
    const batch = { state: changes, overrides: also.overrides ?? [], clearedOverrides: also.clearedOverrides ?? [] };
    this.pending.add(batch);
    this.committing++;
    const committed = after.then(() => this.commit(changes, also));
    const settle = () => {
      this.pending.remove(batch);
      this.committing--;
    };
    committed.then(settle, settle);
    this.commits = committed;
    return committed;
  }

  /** What a batch deciding now commits after: the queued commits, or nothing once they have all settled (a failure among them is behind us). */
  private queuedCommits(): Promise<unknown> {
    return this.committing ? this.commits : Promise.resolve();
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const result = this.turn.then(work);
    this.turn = result.catch(() => undefined);
    return result;
  }

  /** A turn that starts once every queued commit has settled: human decisions read and write the committed state directly. */
  private inSettledTurn<T>(work: () => Promise<T>): Promise<T> {
    return this.inTurn(async () => {
      await this.commits.catch(() => undefined);
      return work();
    });
  }
}
