import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Secp256k1Keypair } from '@atproto/crypto';
import pino from 'pino';
import type { Verdict } from '../src/evaluate/index.ts';
import type { LabelerIdentity } from '../src/label/identity.ts';
import { Labeler } from '../src/label/index.ts';
import { unsignedLabel, type LabelFields } from '../src/label/label.ts';
import { LabelSigner } from '../src/label/signer.ts';
import { SigningThreads } from '../src/label/signing-threads.ts';
import { openDatabase } from '../src/store/database.ts';
import { verifyLabel } from './support/label-verifier.ts';

const silent = pino({ level: 'silent' });

/** Labels of every shape: positive, negation, with and without cid and exp. */
const unsigned = (n: number): Omit<LabelFields, 'src'> => ({
  uri: `at://did:plc:author${n % 7}/app.bsky.feed.post/${n}`,
  cid: n % 3 ? `bafycid${n}` : null,
  val: n % 2 ? 'spam' : 'political',
  neg: n % 5 === 0,
  cts: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  exp: n % 4 ? null : '2027-01-01T00:00:00.000Z',
});

describe('signing on worker threads', () => {
  let identity: LabelerIdentity;
  before(async () => {
    const keypair = await Secp256k1Keypair.create({ exportable: true });
    identity = { did: keypair.did(), signingKey: Buffer.from(await keypair.export()).toString('hex'), mode: 'local' };
  });

  it('gives the same signatures as the main thread, in the order of the labels, each verifying', async () => {
    const labels = Array.from({ length: 301 }, (_, n) => unsigned(n));
    const main = await LabelSigner.open(identity);
    const threaded = await LabelSigner.open(identity, 3);
    try {
      const expected = await main.signAll(labels);
      const got = await threaded.signAll(labels);
      assert.deepEqual(got, expected);
      for (const label of got) assert.ok(await verifyLabel({ ...unsignedLabel(label), sig: label.sig }), label.uri);
      assert.deepEqual(await threaded.signAll([]), []);
    } finally {
      await main.close();
      await threaded.close();
    }
  });

  it('fails a batch with a clear error when its thread cannot sign, and tries a new thread for the next', async () => {
    const threads = new SigningThreads('not a key', 1);
    try {
      await assert.rejects(threads.sign([new Uint8Array([1, 2, 3])]), /could not sign labels: signing thread stopped: Non-base16 character/);
      await assert.rejects(threads.sign([new Uint8Array([1, 2, 3])]), /could not sign labels: signing thread stopped: Non-base16 character/);
    } finally {
      await threads.close();
    }
  });

  describe('a Labeler signing on threads', () => {
    let dataDir: string;
    let labeler: Labeler;
    before(() => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-signing-'));
      labeler = new Labeler({ identity, db: openDatabase(path.join(dataDir, 'skysift.sqlite')).db, dataDir, logger: silent, signingThreads: 2 });
    });
    after(async () => {
      await labeler.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('commits the labels of a batch in the order of its verdicts, ids and seqs as on one thread', async () => {
      const verdict = (n: number, matched = true): Verdict => ({ uri: `at://did:plc:a/app.bsky.feed.post/${n}`, cid: `bafy${n}`, label: 'test', manifestVersion: 'v1', matched, explanation: [] });
      await labeler.apply(Array.from({ length: 250 }, (_, n) => verdict(n)), [], new Map());
      await labeler.apply([verdict(3, false), verdict(250)], [], new Map());
      const stored = await labeler.store.range(0, 1000);
      assert.deepEqual(
        stored.map((l) => l.uri),
        [...Array.from({ length: 250 }, (_, n) => verdict(n).uri), verdict(3).uri, verdict(250).uri],
      );
      assert.deepEqual(
        stored.map((l) => l.id),
        Array.from({ length: 252 }, (_, i) => i + 1),
      );
      assert.deepEqual([...new Set(stored.map((l) => l.seq))], [100, 200, 250, 252]);
      assert.equal(stored[250]!.neg, true);
      for (const label of stored) assert.ok(await verifyLabel({ ...unsignedLabel(label), sig: label.sig }), `${label.id}`);
    });
  });
});
