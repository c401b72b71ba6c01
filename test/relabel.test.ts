import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import type { Verdict } from '../src/evaluate/index.ts';
import { resolveIdentity } from '../src/label/identity.ts';
import { Labeler } from '../src/label/index.ts';
import { SqliteLabelStore } from '../src/label/sqlite-store.ts';
import { openDatabase } from '../src/store/database.ts';
import { runCli } from './support/cli.ts';
import { LabelSubscriber, verifyLabel } from './support/label-verifier.ts';

const silent = pino({ level: 'silent' });
const CID = 'bafyreib2rxk3rybk3aobmv5cjuql3bm2twh4jo5uxgf5mpqtzqutbuvyjy';
const post = (n: number) => `at://did:plc:author${n}/app.bsky.feed.post/3kpost${n}`;
const verdict = (uri: string, label: string, matched: boolean): Verdict => ({ uri, cid: CID, label, manifestVersion: 'v1', matched, explanation: [] });

/** `skysift relabel` over a data directory whose labels were emitted by a real Labeler, after the `art` manifest is removed. */
describe('relabel: labels of removed manifests', () => {
  let dataDir: string;
  let manifestsDir: string;
  let env: NodeJS.ProcessEnv;
  const openLabeler = async () => {
    const { db } = openDatabase(path.join(dataDir, 'skysift.sqlite'));
    const identity = await resolveIdentity(loadConfig({ DATA_DIR: dataDir }), silent);
    return { db, labeler: new Labeler({ identity, db, dataDir, logger: silent }) };
  };
  const stateOf = async (uri: string, val: string) => {
    const { db } = openDatabase(path.join(dataDir, 'skysift.sqlite'));
    try {
      return (await new SqliteLabelStore(db).forSubject(uri)).find((row) => row.val === val);
    } finally {
      db.close();
    }
  };

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-relabel-'));
    manifestsDir = path.join(dataDir, 'manifests');
    fs.mkdirSync(manifestsDir);
    for (const file of ['art-hashtag.json', 'news-link.json']) fs.copyFileSync(path.join('manifests', file), path.join(manifestsDir, file));
    env = { DATA_DIR: dataDir, MANIFESTS_DIR: manifestsDir, LOG_LEVEL: 'silent' };
    const { db, labeler } = await openLabeler();
    await labeler.apply([verdict(post(1), 'art', true), verdict(post(2), 'art', true), verdict(post(3), 'art', true), verdict(post(1), 'news-link', true)], [], new Map());
    await labeler.apply([verdict(post(3), 'art', false)], [], new Map());
    await labeler.close();
    db.close();
    fs.rmSync(path.join(manifestsDir, 'art-hashtag.json'));
  });
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('refuses to run while a manifest is broken, so a broken manifest is never taken for a removed one', async () => {
    fs.writeFileSync(path.join(manifestsDir, 'broken.json'), '{"label": {"value": "news-link"}}');
    const { code, stderr } = await runCli(['relabel'], env);
    fs.rmSync(path.join(manifestsDir, 'broken.json'));
    assert.notEqual(code, 0);
    assert.match(stderr, /fix the manifests first/);
    assert.equal((await stateOf(post(1), 'art'))?.active, true);
  });

  it('--dry-run lists the active labels of the removed manifest and changes nothing', async () => {
    const { code, stdout } = await runCli(['relabel', '--dry-run'], env);
    assert.equal(code, 0);
    assert.deepEqual(stdout.trim().split('\n'), [`art\t${post(1)}`, `art\t${post(2)}`, 'would negate 2 label(s) of removed manifests:', '  art: 2']);
    assert.equal((await stateOf(post(1), 'art'))?.active, true);
  });

  it('negates them with signed labels that subscribers receive; live manifests and already negated labels are left alone', async () => {
    const { code, stdout } = await runCli(['relabel'], env);
    assert.equal(code, 0);
    assert.equal(stdout.trim(), 'negated 2 label(s) of removed manifests:\n  art: 2');
    for (const n of [1, 2]) {
      const row = await stateOf(post(n), 'art');
      assert.equal(row?.active, false);
      assert.deepEqual(JSON.parse(row!.explanation), [{ path: 'manifest-removed', op: 'manifest-removed', result: true }]);
    }
    assert.equal((await stateOf(post(1), 'news-link'))?.active, true);

    const { db, labeler } = await openLabeler();
    try {
      const service = (await labeler.start(0, '127.0.0.1')).replace('0.0.0.0', '127.0.0.1');
      const subscriber = new LabelSubscriber(service, 0);
      await subscriber.waitFor(7);
      subscriber.close();
      const negations = subscriber.labels.filter((l) => l.neg);
      assert.deepEqual(negations.map((l) => [l.uri, l.val]).sort(), [
        [post(1), 'art'],
        [post(2), 'art'],
        [post(3), 'art'],
      ]);
      for (const label of subscriber.labels) assert.equal(await verifyLabel(label), true);
    } finally {
      await labeler.close();
      db.close();
    }

    const again = await runCli(['relabel'], env);
    assert.equal(again.stdout.trim(), 'no labels of removed manifests');
  });
});
