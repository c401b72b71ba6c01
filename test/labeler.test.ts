import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { consolidateJetstreamEvent } from '../src/consolidate/jetstream.ts';
import type { ConsolidatedPost } from '../src/consolidate/post.ts';
import { evaluateBatch, type Verdict } from '../src/evaluate/index.ts';
import { Labeler } from '../src/label/index.ts';
import { resolveIdentity, type LabelerIdentity } from '../src/label/identity.ts';
import type { CompiledManifest } from '../src/manifests/load.ts';
import { openDatabase } from '../src/store/database.ts';
import { LabelSubscriber, queryAllLabels, verifyLabel, type WireLabel } from './support/label-verifier.ts';
import { runCli } from './support/cli.ts';
import { fixture } from './support/fixtures.ts';
import { shippedManifests } from './support/shipped-manifests.ts';

const silent = pino({ level: 'silent' });

function recordedPosts(): { posts: ConsolidatedPost[]; deletes: string[] } {
  const events = fs.readFileSync(fixture('jetstream/expected_v1.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const results = events.map(consolidateJetstreamEvent);
  return {
    posts: results.flatMap((r) => (r.kind === 'post' ? [r.post] : [])),
    deletes: results.flatMap((r) => (r.kind === 'post-delete' ? [r.uri] : [])),
  };
}

describe('labeler identity', () => {
  it('makes a local key once, keeps it private, and signs as its did:key', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-id-'));
    const config = loadConfig({ DATA_DIR: dataDir });
    const first = await resolveIdentity(config, silent);
    const second = await resolveIdentity(config, silent);
    assert.equal(first.mode, 'local');
    assert.match(first.did, /^did:key:z/);
    assert.equal(second.did, first.did);
    assert.equal(fs.statSync(path.join(dataDir, 'labeler-signing-key.hex')).mode & 0o777, 0o600);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses half a production identity and a key that is not secp256k1', async () => {
    await assert.rejects(resolveIdentity(loadConfig({ LABELER_DID: 'did:plc:abc' }), silent), /set both LABELER_DID and LABELER_SIGNING_KEY/);
    await assert.rejects(resolveIdentity(loadConfig({ LABELER_DID: 'did:plc:abc', LABELER_SIGNING_KEY: 'zz' }), silent), /not a secp256k1 private key/);
  });
});

describe('labeler: verdicts to signed labels', () => {
  let dataDir: string;
  let identity: LabelerIdentity;
  let labeler: Labeler;
  let service: string;
  let manifests: CompiledManifest[];
  let labels: Map<string, CompiledManifest['label']>;
  let verdicts: Verdict[];
  const { posts, deletes } = recordedPosts();

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-labeler-'));
    identity = await resolveIdentity(loadConfig({ DATA_DIR: dataDir }), silent);
    const { db } = openDatabase(path.join(dataDir, 'skysift.sqlite'));
    labeler = new Labeler({ identity, db, dataDir, logger: silent });
    service = (await labeler.start(0, '127.0.0.1')).replace('0.0.0.0', '127.0.0.1');
    manifests = await shippedManifests();
    labels = new Map(manifests.map((m) => [m.label.value, m.label]));
    verdicts = await evaluateBatch(posts, manifests);
  });
  after(async () => {
    await labeler.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('emits exactly the matched verdicts to a subscriber, each label verified against the labeler key', async () => {
    const subscriber = new LabelSubscriber(service);
    await subscriber.opened();
    const expected = verdicts.filter((v) => v.matched);
    assert.ok(expected.length > 0, 'the shipped manifests match some recorded posts');
    const summary = await labeler.apply(verdicts, [], labels);
    assert.equal(summary.labelled.length, expected.length);
    await subscriber.waitFor(expected.length);
    subscriber.close();
    assert.deepEqual(
      subscriber.labels.map((l) => `${l.uri} ${l.val} ${Boolean(l.neg)}`).sort(),
      expected.map((v) => `${v.uri} ${v.label} false`).sort(),
    );
    for (const label of subscriber.labels) {
      assert.equal(label.src, identity.did);
      assert.ok(await verifyLabel(label), `signature of ${label.uri} ${label.val}`);
      assert.equal(await verifyLabel({ ...label, val: `${label.val}x` }), false, 'a tampered label fails');
    }
  });

  it('serves the same labels on queryLabels, schema-clean (no id) and verified', async () => {
    const queried = await queryAllLabels(service);
    assert.equal(queried.length, verdicts.filter((v) => v.matched).length);
    for (const label of queried) {
      assert.ok(!('id' in label), 'no id field');
      assert.ok(await verifyLabel(label as unknown as WireLabel));
    }
  });

  it('matches exact uriPatterns exactly and keeps prefix* patterns', async () => {
    const target = verdicts.find((v) => v.matched)!;
    const exact = await queryAllLabels(service, [target.uri]);
    assert.ok(exact.length >= 1 && exact.every((l) => l.uri === target.uri));
    assert.equal((await queryAllLabels(service, [target.uri.toUpperCase()])).length, 0, 'case-sensitive');
    assert.equal((await queryAllLabels(service, [target.uri.replace(/.$/, '_')])).length, 0, '_ is not a wildcard');
    const prefix = await queryAllLabels(service, [`${target.uri.slice(0, target.uri.lastIndexOf('/'))}/*`]);
    assert.ok(prefix.some((l) => l.uri === target.uri));
  });

  it('explains a labelled subject from the command line', async () => {
    const target = verdicts.find((v) => v.matched)!;
    const result = await runCli(['explain', target.uri], { DATA_DIR: dataDir });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^${target.label}: applied at \\S+ \\(manifest version ${target.manifestVersion}\\)`, 'm'));
    for (const leaf of target.explanation) assert.ok(result.stdout.includes(`${leaf.path}: ${leaf.result}`), leaf.path);
    const missing = await runCli(['explain', 'at://did:plc:none/app.bsky.feed.post/x'], { DATA_DIR: dataDir });
    assert.equal(missing.code, 1);
  });

  it('emits nothing new when the same verdicts come again', async () => {
    const again = await labeler.apply(verdicts, [], labels);
    assert.deepEqual([again.labelled.length, again.negated.length], [0, 0]);
  });

  it('negates a label whose post no longer matches, and the labels of a deleted post', async () => {
    const matched = verdicts.find((v) => v.matched)!;
    const lost = await labeler.apply([{ ...matched, matched: false }], [], labels);
    assert.deepEqual(lost.negated.map((r) => [r.uri, r.val]), [[matched.uri, matched.label]]);
    const other = verdicts.filter((v) => v.matched && v.uri !== matched.uri);
    const deleted = await labeler.apply([], [other[0]!.uri, ...deletes], labels);
    assert.deepEqual(deleted.negated.map((r) => r.uri), other.filter((v) => v.uri === other[0]!.uri).map((v) => v.uri));
    const negations = (await queryAllLabels(service)).filter((l) => l.neg);
    assert.equal(negations.length, 1 + deleted.negated.length);
    assert.equal(labeler.state.forSubject(matched.uri).find((row) => row.val === matched.label)?.active, false);
  });
});

describe('labeler: crash between our state and the LabelerServer', () => {
  it('finishes an interrupted emission exactly once on restart', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-resume-'));
    const identity = await resolveIdentity(loadConfig({ DATA_DIR: dataDir }), silent);
    const file = path.join(dataDir, 'skysift.sqlite');
    const base = { cid: 'bafyreiguce4jh7kcbmof3pmcvasifqtw24b6isakj5ve5ga2b4z4alpc4i', active: true, exp: null, manifestVersion: 'v1', explanation: '[]' };

    // Decided and recorded, then killed before the LabelerServer stored it.
    const first = openDatabase(file).db;
    const crashed = new Labeler({ identity, db: first, dataDir, logger: silent });
    crashed.state.record([{ ...base, uri: 'at://did:plc:a/app.bsky.feed.post/1', val: 'lost', cts: '2026-01-01T00:00:00.000Z' }]);
    // Stored by the LabelerServer, then killed before it was marked emitted.
    await crashed.server.createLabel({ uri: 'at://did:plc:a/app.bsky.feed.post/2', val: 'stored', cts: '2026-01-01T00:00:00.000Z' });
    crashed.state.record([{ ...base, uri: 'at://did:plc:a/app.bsky.feed.post/2', val: 'stored', cts: '2026-01-01T00:00:00.000Z' }]);
    await crashed.close();
    first.close();

    const db = openDatabase(file).db;
    const restarted = new Labeler({ identity, db, dataDir, logger: silent });
    const service = (await restarted.start(0, '127.0.0.1')).replace('0.0.0.0', '127.0.0.1');
    const all = await queryAllLabels(service);
    assert.deepEqual(all.map((l) => l.val).sort(), ['lost', 'stored']);
    assert.deepEqual(restarted.state.unemitted(), []);
    assert.equal(await restarted.resume(), 0, 'a second resume has nothing to do');
    await restarted.close();
    db.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});
