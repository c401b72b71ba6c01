import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AtpAgent } from '@atproto/api';
import { Secp256k1Keypair } from '@atproto/crypto';
import { TestNetwork } from '@atproto/dev-env';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { resolveIdentity } from '../src/label/identity.ts';
import { Labeler } from '../src/label/index.ts';
import { openStages } from '../src/service.ts';
import { openDatabase } from '../src/store/database.ts';
import { AppViewLabelBridge } from './support/appview-label-bridge.ts';
import { freePort } from './support/capture.ts';
import { runCli } from './support/cli.ts';
import { startTestPostgres, type TestPostgres } from './support/postgres.ts';

const silent = pino({ level: 'silent' });
const LABEL = 'election-talk';
const MANIFEST = { label: { value: LABEL, locales: [{ lang: 'en', name: 'Election talk', description: 'Posts that mention an election.' }] }, filter: { regex_matches: ['text', '\\belection\\b'] } };

/**
 * Labels through the real network, locally: PLC, PDS and the Bluesky AppView of `@atproto/dev-env` on a
 * throwaway PostgreSQL; a labeler account set up with `skysift setup` and `skysift declare`; posts
 * written to the PDS and fed to the service's pipeline as Jetstream events of the records the PDS
 * stored; and a bridge, standing in for Bluesky's closed label ingester, from subscribeLabels into the
 * AppView's label table. What a client sees is what `getPosts` answers with `atproto-accept-labelers`.
 */
describe('labels on a local Bluesky AppView', () => {
  let pg: TestPostgres;
  let network: TestNetwork;
  let dataDir: string;
  let stages: Awaited<ReturnType<typeof openStages>>;
  let bridge: AppViewLabelBridge;
  let labelerDid: string;
  let alice: AtpAgent;
  let time = 1_790_000_000_000_000;

  /** The Jetstream event for a post as the PDS stored it (create or update), or its deletion. */
  async function jetstreamEvent(uri: string, operation: 'create' | 'update' | 'delete') {
    const [, , did, collection, rkey] = uri.split('/');
    const commit = { operation, collection, rkey, rev: `rev${time}` };
    if (operation === 'delete') return { kind: 'commit', did, time_us: time++, commit };
    const { data } = await alice.com.atproto.repo.getRecord({ repo: did!, collection: collection!, rkey: rkey! });
    return { kind: 'commit', did, time_us: time++, commit: { ...commit, cid: data.cid, record: data.value } };
  }

  const post = async (text: string) => (await alice.post({ text, createdAt: new Date().toISOString() })).uri;

  /** The post as a client that accepts `labelers` sees it, and the labelers the AppView says it applied. */
  async function seen(uri: string, labelers: string) {
    const res = await fetch(`${network.bsky.url}/xrpc/app.bsky.feed.getPosts?uris=${encodeURIComponent(uri)}`, { headers: { 'atproto-accept-labelers': labelers } });
    assert.equal(res.status, 200);
    const { posts } = (await res.json()) as { posts: { uri: string; cid: string; record: { text: string }; labels?: { src: string; val: string; cid?: string }[] }[] };
    return { post: posts[0], applied: res.headers.get('atproto-content-labelers') ?? '' };
  }
  const ourLabels = async (uri: string) => ((await seen(uri, labelerDid)).post?.labels ?? []).filter((l) => l.src === labelerDid).map((l) => l.val);

  before(async () => {
    pg = await startTestPostgres();
    process.env.REDIS_HOST ||= 'unused-by-these-tests';
    network = await TestNetwork.create({ dbPostgresUrl: pg.url, dbPostgresSchema: 'skysift_labels' });
    const account = new AtpAgent({ service: network.pds.url });
    await account.createAccount({ handle: 'labeler.test', email: 'labeler@skysift.test', password: 'labeler-account-pw' });
    labelerDid = account.session!.did;
    alice = new AtpAgent({ service: network.pds.url });
    await alice.createAccount({ handle: 'alice.test', email: 'alice@skysift.test', password: 'alice-pw' });

    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-appview-'));
    const manifestsDir = path.join(dataDir, 'manifests');
    fs.mkdirSync(manifestsDir);
    fs.writeFileSync(path.join(manifestsDir, 'election-talk.json'), JSON.stringify(MANIFEST));
    const keypair = await Secp256k1Keypair.create({ exportable: true });
    const port = await freePort();
    const env = {
      DATA_DIR: dataDir,
      MANIFESTS_DIR: manifestsDir,
      LOG_LEVEL: 'silent',
      LABELER_DID: labelerDid,
      LABELER_SIGNING_KEY: Buffer.from(await keypair.export()).toString('hex'),
      LABELER_HANDLE: 'labeler.test',
      LABELER_PASSWORD: 'labeler-account-pw',
      LABELER_PDS_URL: network.pds.url,
      LABELER_PLC_URL: network.plc.url,
      LABELER_PUBLIC_URL: `http://127.0.0.1:${port}`,
      LABELER_PORT: String(port),
    };
    // Production steps 1 and 2, as an operator runs them.
    const request = await runCli(['setup'], env);
    assert.equal(request.code, 0, request.stderr);
    const [emailed] = await network.pds.ctx.accountManager.db.db
      .selectFrom('email_token')
      .select('token')
      .where('did', '=', labelerDid as `did:${string}:${string}`)
      .execute();
    const confirm = await runCli(['setup', '--token', emailed!.token], env);
    assert.equal(confirm.code, 0, confirm.stderr);
    const declare = await runCli(['declare'], env);
    assert.equal(declare.code, 0, declare.stderr);
    await network.processAll();

    stages = await openStages(loadConfig(env), silent);
    await stages.labeler.start(port, '127.0.0.1');
    bridge = new AppViewLabelBridge(network.bsky, network.plc.url);
    await bridge.follow(labelerDid);
  });

  after(async () => {
    bridge?.close();
    await stages?.close();
    await network?.close();
    await pg?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a label appears on getPosts for a client that accepts the labeler', async () => {
    const uri = await post('Who will win the election?');
    assert.equal((await stages.pipeline([await jetstreamEvent(uri, 'create')])).labelled.length, 1);
    await bridge.waitFor(1);
    await network.processAll();
    const { post: seenPost, applied } = await seen(uri, labelerDid);
    assert.deepEqual(
      seenPost?.labels?.filter((l) => l.src === labelerDid).map((l) => [l.val, l.cid]),
      [[LABEL, seenPost?.cid]],
    );
    assert.ok(applied.includes(labelerDid), `the AppView applied the labeler (atproto-content-labelers: ${applied})`);
    const { post: unsubscribed } = await seen(uri, 'did:plc:someotherlabeler');
    assert.deepEqual(unsubscribed?.labels?.filter((l) => l.src === labelerDid) ?? [], [], 'a client that does not accept the labeler sees none');
  });

  it('the label disappears when the post is deleted', async () => {
    const uri = await post('Election day is a holiday here.');
    const labelled = bridge.written.length + 1;
    await stages.pipeline([await jetstreamEvent(uri, 'create')]);
    await network.processAll();
    await bridge.waitFor(labelled);
    assert.deepEqual(await ourLabels(uri), [LABEL]);
    // The deletion reaches the labeler first: the post is still on the AppView, its label is not.
    const before = bridge.written.length;
    assert.equal((await stages.pipeline([await jetstreamEvent(uri, 'delete')])).negated.length, 1);
    await bridge.waitFor(before + 1);
    assert.ok((await seen(uri, labelerDid)).post, 'the post is still served');
    assert.deepEqual(await ourLabels(uri), []);
    const [, , repo, collection, rkey] = uri.split('/');
    await alice.com.atproto.repo.deleteRecord({ repo: repo!, collection: collection!, rkey: rkey! });
    await network.processAll();
    assert.equal((await seen(uri, labelerDid)).post, undefined);
  });

  it('the label disappears after an edit that loses the match (the negation names the labelled cid)', async () => {
    const uri = await post('Thoughts on the election debate');
    const labelled = bridge.written.length + 1;
    await stages.pipeline([await jetstreamEvent(uri, 'create')]);
    await network.processAll();
    await bridge.waitFor(labelled);
    const labelledCid = (await seen(uri, labelerDid)).post!.cid;
    assert.deepEqual(await ourLabels(uri), [LABEL]);
    const [, , repo, collection, rkey] = uri.split('/');
    const { data: edited } = await alice.com.atproto.repo.putRecord({ repo: repo!, collection: collection!, rkey: rkey!, record: { $type: 'app.bsky.feed.post', text: 'Thoughts on the weather', createdAt: new Date().toISOString() } });
    assert.notEqual(edited.cid, labelledCid);
    const before = bridge.written.length;
    const { negated } = await stages.pipeline([await jetstreamEvent(uri, 'update')]);
    await bridge.waitFor(before + 1);
    assert.deepEqual(await ourLabels(uri), [], 'gone once the negation is in');
    assert.deepEqual(
      negated.map((r) => r.cid),
      [labelledCid],
    );
    await network.processAll();
    const after = await seen(uri, labelerDid);
    assert.equal(after.post?.record.text, 'Thoughts on the weather');
    assert.deepEqual(after.post?.labels?.filter((l) => l.src === labelerDid) ?? [], [], 'and after');
  });

  it('every label reached the AppView verified against the #atproto_label key of the DID document, and a forged one does not', async () => {
    assert.equal(bridge.written.length, 5, 'three labels and two negations');
    assert.deepEqual(bridge.refused, []);
    assert.equal(await bridge.accepts(bridge.written[0]!), true);
    assert.equal(await bridge.accepts({ ...bridge.written[0]!, val: 'forged' }), false);
    assert.equal(await bridge.accepts({ ...bridge.written[0]!, src: 'did:plc:someoneelse' }), false);
  });

  it('labels of a did:key labeler (local mode) verify, but the AppView does not apply them', async () => {
    const localDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-local-'));
    const { db } = openDatabase(path.join(localDir, 'skysift.sqlite'));
    const identity = await resolveIdentity(loadConfig({ DATA_DIR: localDir }), silent);
    const local = new Labeler({ identity, db, dataDir: localDir, logger: silent });
    try {
      const url = (await local.start(0, '127.0.0.1')).replace('0.0.0.0', '127.0.0.1');
      const uri = await post('Local election results');
      await network.processAll();
      const event = await jetstreamEvent(uri, 'create');
      await local.apply([{ uri, cid: (event.commit as { cid: string }).cid, label: LABEL, manifestVersion: 'v1', matched: true, explanation: [] }], [], new Map());
      const before = bridge.written.length;
      await bridge.follow(identity.did, url);
      await bridge.waitFor(before + 1);
      assert.deepEqual(bridge.refused, [], 'its label verifies against its did:key');
      const { post: seenPost, applied } = await seen(uri, identity.did);
      assert.deepEqual(seenPost?.labels ?? [], [], 'the AppView honours only labelers that are accounts');
      assert.ok(!applied.includes(identity.did));
    } finally {
      await local.close();
      db.close();
      fs.rmSync(localDir, { recursive: true, force: true });
    }
  });

});
