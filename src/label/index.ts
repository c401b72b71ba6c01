import path from 'node:path';
import { LabelerServer } from '@skyware/labeler';
import type { Database } from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { decisionsOf, type Decisions, type Verdict } from '../evaluate/index.ts';
import type { Logger } from '../log.ts';
import { durationMs, type Label } from '../manifests/label.ts';
import type { LabelerIdentity } from './identity.ts';
import { queryLabelsHandler } from './query-labels.ts';
import { guardRoutes } from './route-guards.ts';
import { LabelState, type LabelStateRow } from './state.ts';

export interface LabelerOptions {
  identity: LabelerIdentity;
  db: Database;
  dataDir: string;
  logger: Logger;
}

export interface EmitSummary {
  labelled: LabelStateRow[];
  negated: LabelStateRow[];
}

/** Lifts a label for a reason other than a verdict (`op` shows in `skysift explain`). */
function negation(row: LabelStateRow, cts: string, op: 'delete' | 'manifest-removed'): Omit<LabelStateRow, 'emitted'> {
  return { ...row, active: false, cts, exp: null, explanation: JSON.stringify([{ path: op, op, result: true }]) };
}

/**
 * The label stage: diffs decisions against label state and emits through @skyware/labeler's
 * LabelerServer, which signs, stores and broadcasts (`subscribeLabels`, `queryLabels`).
 *
 * Crash safety: a decision is first recorded in our state as not emitted (with the cts the label will
 * carry), then handed to the LabelerServer, then marked emitted. On start, `resume()` finishes any
 * row left unemitted: if the LabelerServer's store already holds that exact label (same subject,
 * value, negation and cts) it is only marked, otherwise it is emitted. So a kill between the two
 * stores neither loses a label nor emits it twice.
 */
export class Labeler {
  readonly server: LabelerServer;
  readonly state: LabelState;
  private readonly logger: Logger;
  /** Set when an emission failed part-way: its rows are recorded but not all handed over yet. */
  private interrupted = false;

  constructor(options: LabelerOptions) {
    this.logger = options.logger;
    this.state = new LabelState(options.db);
    this.server = new LabelerServer({ did: options.identity.did, signingKey: options.identity.signingKey, dbPath: path.join(options.dataDir, 'labels.db') });
    guardRoutes(this.server.app, options.identity.did, this.server.errorHandler);
    const handler = queryLabelsHandler(this.server.db);
    this.server.app.addHook('onRoute', (route) => {
      if (route.url === '/xrpc/com.atproto.label.queryLabels') route.handler = handler;
    });
  }

  /**
   * Starts serving on `port` (0 picks a free one), with `routes` of ours on the same app, and finishes
   * emissions a crash interrupted.
   */
  async start(port: number, host = '0.0.0.0', routes?: (app: FastifyInstance) => void): Promise<string> {
    // LabelerServer adds its routes once its websocket plugin has loaded, a tick after construction;
    // a route added before that makes listen() never answer.
    await new Promise((resolve) => setImmediate(resolve));
    routes?.(this.server.app);
    const address = await new Promise<string>((resolve, reject) => this.server.start({ port, host }, (error, addr) => (error ? reject(error) : resolve(addr))));
    await this.resume();
    return address;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.db.close();
  }

  /**
   * Applies verdicts (new match → label, lost match → negation, same as before → nothing) and post
   * deletions (negate every active label of the post). An undecided verdict (a failed feature) changes
   * nothing. Verdicts come as the evaluator decided them (`Decisions`: an outcome per pair) or as a
   * list; only those that change a label are asked for their explanation.
   */
  async apply(verdicts: Decisions | readonly Verdict[], deletedUris: readonly string[], labels: ReadonlyMap<string, Label>): Promise<EmitSummary> {
    await this.finishInterrupted();
    const cts = new Date().toISOString();
    const changes: Omit<LabelStateRow, 'emitted'>[] = [];
    const decisions = 'size' in verdicts ? verdicts : decisionsOf(verdicts);
    const uris = new Set<string>();
    for (let i = 0; i < decisions.size; i++) uris.add(decisions.uri(i));
    // Active labels by subject: a pair is compared with its subject's without building a key per pair.
    const active = new Map<string, Set<string>>();
    for (const key of this.state.active([...uris])) {
      const [uri, val] = key.split('\u0000') as [string, string];
      active.set(uri, (active.get(uri) ?? new Set()).add(val));
    }
    for (let i = 0; i < decisions.size; i++) {
      const matched = decisions.matched(i);
      if (matched === null || matched === (active.get(decisions.uri(i))?.has(decisions.label(i)) ?? false)) continue;
      // The explanation is the reference evaluation: were it ever to disagree with the decision, it wins.
      const v = decisions.verdict(i);
      if (v.matched !== matched) continue;
      const expiresIn = labels.get(v.label)?.expiresIn;
      changes.push({
        uri: v.uri,
        val: v.label,
        cid: v.cid,
        active: v.matched,
        cts,
        exp: v.matched && expiresIn ? new Date(Date.parse(cts) + durationMs(expiresIn)).toISOString() : null,
        manifestVersion: v.manifestVersion,
        explanation: JSON.stringify(v.explanation),
      });
    }
    for (const uri of deletedUris) {
      for (const row of this.state.forSubject(uri)) {
        if (row.active) changes.push(negation(row, cts, 'delete'));
      }
    }
    const rows = await this.recordAndEmit(changes);
    return { labelled: rows.filter((r) => r.active), negated: rows.filter((r) => !r.active) };
  }

  /**
   * Negates every active label whose value is not in `loadedValues`: the labels of removed manifests,
   * which no verdict will ever lift (`skysift relabel`). Returns the negations.
   */
  async retire(loadedValues: ReadonlySet<string>): Promise<LabelStateRow[]> {
    await this.finishInterrupted();
    const cts = new Date().toISOString();
    return this.recordAndEmit(this.state.activeOutside(loadedValues).map((row) => negation(row, cts, 'manifest-removed')));
  }

  /** Emits what was recorded but may not have reached the LabelerServer (a crash, or a failed write). */
  async resume(): Promise<number> {
    const pending = this.state.unemitted();
    const missing: LabelStateRow[] = [];
    for (const row of pending) {
      const stored = await this.server.db.execute({
        sql: 'SELECT 1 FROM labels WHERE uri = ? AND val = ? AND neg = ? AND cts = ? LIMIT 1',
        args: [row.uri, row.val, row.active ? 0 : 1, row.cts],
      });
      if (stored.rows.length) this.state.markEmitted([row]);
      else missing.push(row);
    }
    if (missing.length) await this.emit(missing);
    if (pending.length) this.logger.info({ pending: pending.length, emitted: missing.length }, 'finished interrupted label emissions');
    return missing.length;
  }

  /** A retried batch finds its decisions already recorded and would skip them: finish those first. */
  private async finishInterrupted(): Promise<void> {
    if (!this.interrupted) return;
    await this.resume();
    this.interrupted = false;
  }

  private async recordAndEmit(changes: readonly Omit<LabelStateRow, 'emitted'>[]): Promise<LabelStateRow[]> {
    if (!changes.length) return [];
    this.state.record(changes);
    const rows = changes.map((c) => ({ ...c, emitted: false }));
    try {
      await this.emit(rows);
    } catch (error) {
      this.interrupted = true;
      throw error;
    }
    return rows;
  }

  /**
   * Hands rows to the LabelerServer in one transaction of its store: one sync to disk per batch
   * instead of one per label, and a failed batch leaves none of its labels stored.
   */
  private async emit(rows: readonly LabelStateRow[]): Promise<void> {
    const db = this.server.db;
    await db.execute('BEGIN IMMEDIATE');
    try {
      for (const row of rows) {
        await this.server.createLabel({
          uri: row.uri,
          ...(row.cid ? { cid: row.cid } : {}),
          val: row.val,
          neg: !row.active,
          cts: row.cts,
          ...(row.exp ? { exp: row.exp } : {}),
        });
      }
      await db.execute('COMMIT');
    } catch (error) {
      await db.execute('ROLLBACK').catch(() => undefined);
      throw error;
    }
    this.state.markEmitted(rows);
  }
}
