import type { Database } from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { decisionsOf, type Decisions, type Verdict } from '../evaluate/index.ts';
import type { Logger } from '../log.ts';
import { durationMs, type Label } from '../manifests/label.ts';
import type { Metrics } from '../metrics.ts';
import type { LabelerIdentity } from './identity.ts';
import { importLegacyLabels } from './legacy-import.ts';
import { Sequencer } from './sequencer.ts';
import { createLabelServer } from './server.ts';
import { LabelSigner } from './signer.ts';
import { SqliteLabelStore } from './sqlite-store.ts';
import { activeKey, type LabelStateRow, type LabelStore } from './store.ts';

export interface LabelerOptions {
  identity: LabelerIdentity;
  db: Database;
  /** Where a data directory written before the label log keeps `labels.db`, imported on first use. */
  dataDir: string;
  logger: Logger;
  metrics?: Metrics;
}

export interface EmitSummary {
  labelled: LabelStateRow[];
  negated: LabelStateRow[];
}

/** Lifts a label for a reason other than a verdict (`op` shows in `skysift explain`); it keeps the label's cid. */
function negation(row: LabelStateRow, cts: string, op: 'delete' | 'manifest-removed'): LabelStateRow {
  return { ...row, active: false, cts, exp: null, explanation: JSON.stringify([{ path: op, op, result: true }]) };
}

/**
 * The label stage: diffs decisions against label state, signs the changes, and commits labels and state
 * together in the label store; subscribers hear of them only after the commit. Serves subscribeLabels
 * and queryLabels from the same store. Calls are taken one at a time, so two batches never decide
 * against the same state.
 */
export class Labeler {
  /** The label store; SQLite here, any `LabelStore` to the rest of the stage. */
  readonly store: LabelStore;
  private readonly sequencer: Sequencer;
  /** The signer, once a data directory from before the label log has been imported. */
  private readonly ready: Promise<LabelSigner>;
  private app: FastifyInstance | undefined;
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: LabelerOptions) {
    const store = new SqliteLabelStore(options.db);
    this.store = store;
    this.sequencer = new Sequencer(store, options.logger);
    this.ready = LabelSigner.open(options.identity).then(async (signer) => {
      await importLegacyLabels({ db: options.db, store, dataDir: options.dataDir, signer, logger: options.logger });
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
    await this.sequencer.stop();
    await this.app?.close();
  }

  /**
   * Applies verdicts (new match → label, lost match → negation, same as before → nothing) and post
   * deletions (negate every active label of the post). A negation names the cid of the label it
   * negates, not the post's current one. An undecided verdict (a failed feature) changes nothing.
   * Verdicts come as the evaluator decided them (`Decisions`: an outcome per pair) or as a list; only
   * those that change a label are asked for their explanation.
   */
  apply(verdicts: Decisions | readonly Verdict[], deletedUris: readonly string[], labels: ReadonlyMap<string, Label>): Promise<EmitSummary> {
    return this.inTurn(async () => {
      const cts = new Date().toISOString();
      const decisions = 'size' in verdicts ? verdicts : decisionsOf(verdicts);
      const deleted = new Set(deletedUris);
      const uris = new Set(deleted);
      for (let i = 0; i < decisions.size; i++) uris.add(decisions.uri(i));
      const active = await this.store.activeState([...uris]);
      // Active labels by subject: a pair is compared with its subject's without building a key per pair.
      const bySubject = new Map<string, Map<string, LabelStateRow>>();
      for (const row of active.values()) bySubject.set(row.uri, (bySubject.get(row.uri) ?? new Map<string, LabelStateRow>()).set(row.val, row));
      const changes = new Map<string, LabelStateRow>();
      for (let i = 0; i < decisions.size; i++) {
        const matched = decisions.matched(i);
        if (matched === null) continue;
        const uri = decisions.uri(i);
        const current = bySubject.get(uri)?.get(decisions.label(i));
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
      const rows = await this.commit([...changes.values()]);
      return { labelled: rows.filter((r) => r.active), negated: rows.filter((r) => !r.active) };
    });
  }

  /**
   * Negates every active label whose value is not in `loadedValues`: the labels of removed manifests,
   * which no verdict will ever lift (`skysift relabel`). Returns the negations.
   */
  retire(loadedValues: ReadonlySet<string>): Promise<LabelStateRow[]> {
    return this.inTurn(async () => {
      const cts = new Date().toISOString();
      return this.commit((await this.store.activeOutside(loadedValues)).map((row) => negation(row, cts, 'manifest-removed')));
    });
  }

  /** Signs the changes, then commits them with their state in one transaction. */
  private async commit(changes: readonly LabelStateRow[]): Promise<LabelStateRow[]> {
    if (!changes.length) return [];
    const signer = await this.ready;
    const labels = await Promise.all(changes.map(({ uri, cid, val, active, cts, exp }) => signer.sign({ uri, cid, val, neg: !active, cts, exp })));
    await this.store.commit({ labels, state: changes });
    return [...changes];
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const result = this.turn.then(work);
    this.turn = result.catch(() => undefined);
    return result;
  }
}
