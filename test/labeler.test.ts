import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { consolidateJetstreamEvent } from '../src/consolidate/jetstream.ts';
import type { ConsolidatedPost } from '../src/consolidate/post.ts';
import type { Verdict } from '../src/evaluate/index.ts';
import { Labeler } from '../src/label/index.ts';
import { resolveIdentity, type LabelerIdentity } from '../src/label/identity.ts';
import type { CompiledManifest } from '../src/manifests/load.ts';
import { openDatabase } from '../src/store/database.ts';
import { LabelSubscriber, queryAllLabels, roundTripped, verifyLabel, type WireLabel } from './support/label-verifier.ts';
import { runCli } from './support/cli.ts';
import { fixture } from './support/fixtures.ts';
import { shippedVerdicts } from './support/shipped-manifests.ts';

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
    ({ manifests, verdicts } = await shippedVerdicts(posts));
    labels = new Map(manifests.map((m) => [m.label.value, m.label]));
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
    assert.equal((await labeler.store.forSubject(matched.uri)).find((row) => row.val === matched.label)?.active, false);
  });

  it('negates a post edited out of its label with the cid the label was issued for, not the edit\'s (defect 1)', async () => {
    let target: Verdict | undefined;
    for (const v of verdicts.filter((v) => v.matched).reverse()) if ((await labeler.store.forSubject(v.uri)).some((r) => r.val === v.label && r.active)) target ??= v;
    assert.ok(target, 'a label still active');
    const issued = (await queryAllLabels(service, [target.uri])).find((l) => l.val === target.label && !l.neg)!;
    assert.equal(issued.cid, target.cid);
    const editedCid = 'bafyreibrdwsaxkwppfp3xejkfm7pbyvzwdn2cjyqopeocgpcttwzjz2vdm';
    const edit = await labeler.apply([{ ...target, cid: editedCid, matched: false }], [], labels);
    assert.deepEqual(edit.negated.map((r) => [r.uri, r.val, r.cid]), [[target.uri, target.label, target.cid]]);
    const negation = (await queryAllLabels(service, [target.uri])).find((l) => l.val === target.label && l.neg)!;
    assert.equal(negation.cid, target.cid, 'the negation names the label it negates');
    assert.ok(await verifyLabel(negation as unknown as WireLabel));
    // The edit matches again later: a new label, for the cid of the post as it is then.
    const back = await labeler.apply([{ ...target, cid: editedCid, matched: true }], [], labels);
    assert.deepEqual(back.labelled.map((r) => r.cid), [editedCid]);
  });

  it('signs positive labels without a neg field, so they still verify as the AppView and Ozone store them (defect 2)', async () => {
    const subscriber = new LabelSubscriber(service, 0);
    try {
      await subscriber.waitFor((await queryAllLabels(service)).length);
    } finally {
      subscriber.close();
    }
    const positives = subscriber.labels.filter((l) => !l.neg);
    assert.ok(positives.length > 0);
    for (const label of subscriber.labels) {
      assert.ok(label.neg === true || !('neg' in label), 'neg only when true');
      assert.equal(label.ver, 1);
      assert.ok(await verifyLabel(roundTripped(label)), `${label.uri} ${label.val} verifies after a round trip`);
    }
  });
});

describe('queryLabels: parameters as the lexicon defines them (defect 3)', () => {
  let dataDir: string;
  let labeler: Labeler;
  let service: string;
  let did: string;
  const uri = (n: number) => `at://did:plc:author${n % 7}/app.bsky.feed.post/3kquery${String(n).padStart(4, '0')}`;
  const CID = 'bafyreib2rxk3rybk3aobmv5cjuql3bm2twh4jo5uxgf5mpqtzqutbuvyjy';
  const get = (query: string) => fetch(`${service}/xrpc/com.atproto.label.queryLabels?${query}`);

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-query-'));
    const identity = await resolveIdentity(loadConfig({ DATA_DIR: dataDir }), silent);
    did = identity.did;
    labeler = new Labeler({ identity, db: openDatabase(path.join(dataDir, 'skysift.sqlite')).db, dataDir, logger: silent });
    service = (await labeler.start(0, '127.0.0.1')).replace('0.0.0.0', '127.0.0.1');
    const verdict = (n: number): Verdict => ({ uri: uri(n), cid: CID, label: n % 2 ? 'odd' : 'even', manifestVersion: 'v1', matched: true, explanation: [] });
    await labeler.apply(Array.from({ length: 300 }, (_, n) => verdict(n)), [], new Map());
  });
  after(async () => {
    await labeler.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers a thousand uriPatterns, exact and prefix, with exactly the labels they match', async () => {
    const patterns = [...Array.from({ length: 990 }, (_, n) => uri(n * 3)), ...Array.from({ length: 10 }, (_, n) => `at://did:plc:author${n}/app.bsky.feed.post/3kquery01*`)];
    const query = patterns.map((p) => `uriPatterns=${encodeURIComponent(p)}`).join('&');
    assert.ok(query.length > 60_000, `a query string of ${query.length} bytes`);
    const seen: string[] = [];
    for (let cursor: string | undefined; ; ) {
      const res = await get(`${query}&limit=250${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200, await res.clone().text());
      const body = (await res.json()) as { cursor?: string; labels: { uri: string }[] };
      seen.push(...body.labels.map((l) => l.uri));
      if (!body.cursor) break;
      cursor = body.cursor;
    }
    const expected = Array.from({ length: 300 }, (_, n) => uri(n)).filter((u, n) => n % 3 === 0 || /3kquery01\d\d$/.test(u));
    assert.deepEqual(seen, expected, 'every match once, in log order');
    // A thousand short patterns fit even Node's default header limit (16 KiB): no "Expression tree is too large".
    const short = await get(Array.from({ length: 1000 }, (_, n) => `uriPatterns=${n % 100}`).join('&'));
    assert.equal(short.status, 200, await short.clone().text());
  });

  it('refuses what the lexicon refuses, naming the parameter', async () => {
    const refused = async (query: string, message: RegExp) => {
      const res = await get(query);
      assert.equal(res.status, 400, query);
      const body = (await res.json()) as { error: string; message: string };
      assert.equal(body.error, 'InvalidRequest', query);
      assert.match(body.message, message, query);
    };
    await refused('', /uriPatterns/);
    await refused('limit=10', /uriPatterns/);
    await refused('uriPatterns=*&sources=not-a-did', /sources.*did/);
    await refused('uriPatterns=*&limit=1e2', /limit must be an integer/);
    await refused('uriPatterns=*&limit=0', /limit/);
    await refused('uriPatterns=*&limit=251', /limit/);
    await refused('uriPatterns=*&limit=2.5', /limit must be an integer/);
    await refused('uriPatterns=*&limit=10&limit=20', /limit must be given once/);
    await refused('uriPatterns=at://did:plc:a/*/x', /only a trailing \*/);
    await refused('uriPatterns=*&cursor=abc', /cursor/);
  });

  it('filters by source DID and pages with the cursor it returns', async () => {
    const other = await get('uriPatterns=*&sources=did:plc:someoneelse');
    assert.deepEqual(await other.json(), { labels: [] });
    const pages: number[] = [];
    let cursor: string | undefined;
    for (;;) {
      const body = (await (await get(`uriPatterns=*&sources=${did}&limit=100${cursor ? `&cursor=${cursor}` : ''}`)).json()) as { cursor?: string; labels: unknown[] };
      if (!body.labels.length) {
        assert.equal(body.cursor, undefined, 'no cursor once nothing is left');
        break;
      }
      pages.push(body.labels.length);
      cursor = body.cursor;
    }
    assert.deepEqual(pages, [100, 100, 100]);
  });

  it('answers an unknown XRPC method with 501 MethodNotImplemented', async () => {
    const res = await fetch(`${service}/xrpc/com.atproto.label.nothingHere`);
    assert.equal(res.status, 501);
    assert.equal(((await res.json()) as { error: string }).error, 'MethodNotImplemented');
  });
});
