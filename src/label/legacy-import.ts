import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import type { Logger } from '../log.ts';
import { KeyValueStore } from '../store/kv.ts';
import type { SignedLabel } from './label.ts';
import type { LabelSigner } from './signer.ts';
import { fromStateRow, type LabelRow, type SqliteLabelStore, type StateRow } from './sqlite-store.ts';

/** The LabelerServer's store (@skyware/labeler 0.2.0) that data directories kept before the label log. */
export const LEGACY_LABELS_FILE = 'labels.db';
const IMPORTED = 'labels.legacy_import';
const REPAIRED = 'labels.legacy_repair';

export interface LegacyImportOptions {
  db: Database;
  store: SqliteLabelStore;
  dataDir: string;
  signer: LabelSigner;
  logger: Logger;
}


/**
 * Brings a data directory from before the label log into it, once:
 * 1. copies every label of `labels.db` into the log with its id as seq, so subscribers resume from their
 *    cursors without a gap, and moves the file aside (`labels.db.imported`);
 * 2. finishes the decisions a crash left between the two old stores (recorded, never confirmed stored);
 * 3. repairs what the old labels say to consumers: an active label signed over `"neg": false` is issued
 *    again without it (new cts, so stores that keep the newest replace it), and a negation that named
 *    the post's new cid instead of the negated label's is issued again with that label's cid.
 * Each step commits with its marker, so a crash in between resumes where it stopped.
 */
export async function importLegacyLabels({ db, store, dataDir, signer, logger }: LegacyImportOptions): Promise<void> {
  const kv = new KeyValueStore(db);
  const file = path.join(dataDir, LEGACY_LABELS_FILE);
  if (!kv.get(IMPORTED) && fs.existsSync(file)) copyLegacyLog(db, kv, file, logger);
  if (kv.get(IMPORTED) && fs.existsSync(file)) moveAside(file, logger);
  await finishUnconfirmed(db, store, signer, logger);
  if (kv.get(IMPORTED) && !kv.get(REPAIRED)) await repair(db, kv, store, signer, logger);
}

function copyLegacyLog(db: Database, kv: KeyValueStore, file: string, logger: Logger): void {
  if (db.prepare('SELECT 1 FROM labels LIMIT 1').get()) {
    throw new Error(`${file} holds labels from before skysift's label log, but the database already has a label log; move ${file} away to start without it`);
  }
  db.prepare('ATTACH DATABASE ? AS legacy').run(file);
  try {
    const hasTable = db.prepare("SELECT 1 FROM legacy.sqlite_master WHERE type = 'table' AND name = 'labels'").get();
    const summary = db.transaction(() => {
      const copied = hasTable
        ? db
            .prepare(
              `INSERT INTO labels (id, seq, src, uri, cid, val, neg, cts, exp, sig, signed_neg_false)
               SELECT id, id, src, uri, nullif(cid, ''), val, neg != 0, cts, nullif(exp, ''), sig, neg = 0
               FROM legacy.labels WHERE sig IS NOT NULL ORDER BY id`,
            )
            .run().changes
        : 0;
      db.exec('INSERT OR IGNORE INTO label_sources (src) SELECT DISTINCT src FROM labels');
      const unsigned = hasTable ? (db.prepare('SELECT count(*) FROM legacy.labels WHERE sig IS NULL').pluck().get() as number) : 0;
      const result = { file, labels: copied, unsigned, lastSeq: db.prepare('SELECT max(id) FROM labels').pluck().get() ?? 0, at: new Date().toISOString() };
      kv.set(IMPORTED, JSON.stringify(result));
      return result;
    }).immediate();
    logger.info(summary, 'imported the labels of labels.db into the label log, each with its seq');
    if (summary.unsigned) logger.warn({ unsigned: summary.unsigned }, 'labels.db held labels without a signature; they were not imported');
  } finally {
    db.exec('DETACH DATABASE legacy');
  }
}

function moveAside(file: string, logger: Logger): void {
  for (const suffix of ['', '-wal', '-shm']) {
    if (!fs.existsSync(file + suffix)) continue;
    try {
      fs.renameSync(file + suffix, `${file}.imported${suffix}`);
    } catch (error) {
      logger.warn({ err: error, file: file + suffix }, 'could not move the imported labels.db aside; it is not read again');
    }
  }
}


/** The decisions the old hand-over recorded but never confirmed: emitted now unless labels.db already had them. */
async function finishUnconfirmed(db: Database, store: SqliteLabelStore, signer: LabelSigner, logger: Logger): Promise<void> {
  if (!db.prepare('SELECT 1 FROM legacy_unconfirmed_labels LIMIT 1').get()) return;
  const pending = db
    .prepare(
      `SELECT s.* FROM legacy_unconfirmed_labels u JOIN label_state s USING (uri, val)
       WHERE NOT EXISTS (SELECT 1 FROM labels l WHERE l.uri = s.uri AND l.val = s.val AND l.neg = 1 - s.active AND l.cts = s.cts)`,
    )
    .all() as StateRow[];
  const lastPositiveCid = db.prepare('SELECT cid FROM labels WHERE uri = ? AND val = ? AND src = ? AND neg = 0 ORDER BY id DESC LIMIT 1').pluck();
  const labels = await Promise.all(
    pending.map((r) => {
      // A negation names the label it negates (the old code gave it the post's new cid).
      const cid = r.active ? r.cid : ((lastPositiveCid.get(r.uri, r.val, signer.did) as string | null | undefined) ?? r.cid);
      return signer.sign({ uri: r.uri, cid, val: r.val, neg: r.active === 0, cts: r.cts, exp: r.exp });
    }),
  );
  db.transaction(() => {
    store.append({ labels, state: pending.map((r, i) => ({ ...fromStateRow(r), cid: labels[i]!.cid })) });
    db.exec('DELETE FROM legacy_unconfirmed_labels');
  }).immediate();
  logger.info({ emitted: labels.length }, 'finished label decisions a crash had left between the old stores');
}

async function repair(db: Database, kv: KeyValueStore, store: SqliteLabelStore, signer: LabelSigner, logger: Logger): Promise<void> {
  const cts = new Date().toISOString();
  const latest = db
    .prepare('SELECT l.* FROM labels l JOIN (SELECT max(id) AS id FROM labels WHERE src = ? GROUP BY uri, val) m USING (id) ORDER BY l.id')
    .all(signer.did) as LabelRow[];
  const history = db.prepare('SELECT * FROM labels WHERE uri = ? AND val = ? AND src = ? ORDER BY id');
  const unsigned: Parameters<LabelSigner['sign']>[0][] = [];
  let resigned = 0;
  for (const last of latest) {
    if (!last.neg) {
      if (last.signed_neg_false && !(last.exp && Date.parse(last.exp) <= Date.now())) {
        unsigned.push({ uri: last.uri, cid: last.cid, val: last.val, neg: false, cts, exp: last.exp });
        resigned++;
      }
      continue;
    }
    // Which cids does the subject still carry a positive label for, after every negation of that cid?
    const standing = new Map<string | null, boolean>();
    for (const row of history.all(last.uri, last.val, signer.did) as LabelRow[]) standing.set(row.cid, !row.neg);
    for (const [cid, positive] of standing) if (positive) unsigned.push({ uri: last.uri, cid, val: last.val, neg: true, cts, exp: null });
  }
  const labels: SignedLabel[] = await Promise.all(unsigned.map((label) => signer.sign(label)));
  const touchState = db.prepare('UPDATE label_state SET cts = ? WHERE uri = ? AND val = ? AND active = 1');
  db.transaction(() => {
    store.append({ labels, state: [] });
    for (const label of labels) if (!label.neg) touchState.run(cts, label.uri, label.val);
    kv.set(REPAIRED, JSON.stringify({ resigned, negationsReissued: labels.length - resigned, at: cts }));
  }).immediate();
  logger.info(
    { resigned, negationsReissued: labels.length - resigned },
    'reissued active labels that were signed with "neg": false (new cts), and negations that named another cid than the label they negate',
  );
}
