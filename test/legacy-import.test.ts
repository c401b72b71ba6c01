import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { resolveIdentity } from '../src/label/identity.ts';
import { Labeler } from '../src/label/index.ts';
import { openDatabase } from '../src/store/database.ts';
import { fixture } from './support/fixtures.ts';
import { LabelSubscriber, roundTripped, verifyLabel, type WireLabel } from './support/label-verifier.ts';

const FIXTURE = fixture('legacy-data-dir/');
const silent = pino({ level: 'silent' });

interface LegacyRow {
  id: number;
  uri: string;
  cid: string | null;
  val: string;
  neg: number;
  cts: string;
  sig: Buffer;
}

/** A copy of the fixture data directory, with `edit` applied to its labels.db first. */
function copyFixture(edit?: (legacy: Database.Database) => void): { dataDir: string; legacy: LegacyRow[] } {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-legacy-'));
  fs.cpSync(FIXTURE, dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, 'labels.db'));
  edit?.(db);
  const legacy = db.prepare('SELECT * FROM labels ORDER BY id').all() as LegacyRow[];
  db.close();
  return { dataDir, legacy };
}

async function openLabeler(dataDir: string) {
  const { db } = openDatabase(path.join(dataDir, 'skysift.sqlite'));
  const identity = await resolveIdentity(loadConfig({ DATA_DIR: dataDir }), silent);
  const labeler = new Labeler({ identity, db, dataDir, logger: silent });
  const url = (await labeler.start(0, '127.0.0.1')).replace('0.0.0.0', '127.0.0.1');
  return {
    db,
    identity,
    labeler,
    url,
    async close() {
      await labeler.close();
      db.close();
    },
  };
}

async function subscribe(url: string, cursor: number, count: number): Promise<LabelSubscriber> {
  const subscriber = new LabelSubscriber(url, cursor);
  await subscriber.waitFor(count);
  subscriber.close();
  return subscriber;
}

/** What a consumer that keeps the newest label per (src, uri, cid, val) shows: the keys "uri val" with a positive one. */
function shown(labels: readonly WireLabel[]): string[] {
  const latest = new Map<string, WireLabel>();
  for (const l of labels) latest.set(`${l.src} ${l.uri} ${l.cid ?? ''} ${l.val}`, l);
  return [...new Set([...latest.values()].filter((l) => !l.neg).map((l) => `${l.uri} ${l.val}`))].sort();
}

describe('a data directory from before the label log (labels.db of @skyware/labeler 0.2.0)', () => {
  it('moves into the label log with every seq kept, finishes the interrupted hand-over, and repairs what consumers were told', async () => {
    const { dataDir, legacy } = copyFixture();
    const service = await openLabeler(dataDir);
    try {
      assert.equal(legacy.length, 15);
      // 15 old labels; 1 decision never handed over, 11 active labels signed again, 1 negation with its right cid.
      assert.equal(await service.labeler.store.head(), 15 + 13);
      const all = await subscribe(service.url, 0, 15 + 13);

      // 1. The old labels, each with its old seq, exactly as signed: they verify as served.
      assert.deepEqual(all.seqs.slice(0, 15), legacy.map((l) => l.id));
      all.labels.slice(0, 15).forEach((label, i) => {
        const old = legacy[i]!;
        assert.deepEqual([label.uri, label.cid, label.val, Boolean(label.neg), label.cts], [old.uri, old.cid, old.val, Boolean(old.neg), old.cts]);
        assert.deepEqual(Buffer.from(label.sig), old.sig);
      });
      for (const label of all.labels.slice(0, 15)) assert.ok(await verifyLabel(label), `${label.uri} ${label.val} verifies as served`);

      // 2. What was appended, after seq 15.
      const appended = all.labels.slice(15);
      for (const label of appended) {
        assert.ok(await verifyLabel(roundTripped(label)), 'new labels verify without neg: false');
        assert.ok(label.neg === true || !('neg' in label));
      }
      const state = service.db.prepare('SELECT uri, val, cid, cts FROM label_state WHERE active = 1 ORDER BY uri, val').all() as { uri: string; val: string; cid: string; cts: string }[];
      const recorded = appended.filter((l) => l.uri.endsWith('/recorded'));
      assert.deepEqual(
        recorded.map((l) => [l.val, l.cts]),
        [['art', '2026-01-01T00:00:00.000Z']],
        'the decision recorded and never handed over is emitted once',
      );
      assert.equal(all.labels.filter((l) => l.uri.endsWith('/handed-over') && l.cts === '2026-01-01T00:00:00.000Z').length, 1, 'the one handed over is not emitted again');
      const resigned = appended.filter((l) => !l.neg && !l.uri.endsWith('/recorded'));
      assert.deepEqual(resigned.map((l) => `${l.uri} ${l.val} ${l.cid}`).sort(), state.filter((s) => !s.uri.endsWith('/recorded')).map((s) => `${s.uri} ${s.val} ${s.cid}`));
      for (const label of resigned) assert.ok(label.cts > legacy.find((l) => l.uri === label.uri && l.val === label.val)!.cts, 'a new cts, so consumers replace the old label');
      const edited = legacy[0]!;
      assert.equal(legacy[12]!.uri, edited.uri);
      assert.notEqual(legacy[12]!.cid, edited.cid, 'the fixture holds the old bug: a negation with the edit’s cid');
      assert.deepEqual(
        appended.filter((l) => l.neg).map((l) => [l.uri, l.cid, l.val]),
        [[edited.uri, edited.cid, edited.val]],
        'the edit’s negation is issued again with the cid of the label it negates',
      );

      // 3. A consumer keeping labels by (src, uri, cid, val) now shows exactly what skysift has active.
      assert.deepEqual(
        shown(all.labels),
        state.map((s) => `${s.uri} ${s.val}`),
      );

      // 4. A subscriber of the old server resumes from its cursor without a gap.
      const resumed = await subscribe(service.url, 10, all.labels.length - 10);
      assert.deepEqual(resumed.seqs, all.seqs.slice(10));
      assert.ok(fs.existsSync(path.join(dataDir, 'labels.db.imported')));
      assert.ok(!fs.existsSync(path.join(dataDir, 'labels.db')));
    } finally {
      await service.close();
    }

    // 5. Once only: a restart imports and repairs nothing again.
    const again = await openLabeler(dataDir);
    try {
      assert.equal(await again.labeler.store.head(), 15 + 13);
    } finally {
      await again.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('says OutdatedCursor to a subscriber whose cursor is older than the oldest label kept', async () => {
    const { dataDir, legacy } = copyFixture((db) => db.exec('DELETE FROM labels WHERE id <= 4'));
    const service = await openLabeler(dataDir);
    try {
      assert.equal(legacy[0]!.id, 5);
      const outdated = await subscribe(service.url, 2, 3);
      assert.deepEqual(
        outdated.infos.map((i) => i.name),
        ['OutdatedCursor'],
      );
      assert.deepEqual(outdated.seqs.slice(0, 3), [5, 6, 7]);
      const current = await subscribe(service.url, 4, 3);
      assert.deepEqual(current.infos, []);
      assert.deepEqual(current.seqs.slice(0, 3), [5, 6, 7]);
    } finally {
      await service.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
