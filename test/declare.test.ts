import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AppBskyLabelerService, AtpAgent } from '@atproto/api';
import { Secp256k1Keypair } from '@atproto/crypto';
import { TestNetworkNoAppView } from '@atproto/dev-env';
import { DidResolver } from '@atproto/identity';
import pino from 'pino';
import { labelerDidPlan } from '../src/label/did-document.ts';
import { Labeler } from '../src/label/index.ts';
import { openDatabase } from '../src/store/database.ts';
import { methodKey } from './support/appview-label-bridge.ts';
import { runCli } from './support/cli.ts';
import { queryAllLabels, verifyLabel, type WireLabel } from './support/label-verifier.ts';
import { shippedManifests } from './support/shipped-manifests.ts';

const PUBLIC_URL = 'https://labeler.skysift.test';

/** The labeler account on a real local PDS and PLC directory (@atproto/dev-env), and the CLI's environment for it. */
describe('declare and setup against a local PDS and PLC', () => {
  let network: TestNetworkNoAppView;
  let did: string;
  let signingKey: string;
  let signingDidKey: string;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let appPassword: string;
  const shipped = shippedManifests().then((manifests) => manifests.map((m) => m.label));

  const didDocument = () => new DidResolver({ plcUrl: network.plc.url }).ensureResolve(did, true);
  const emailTokens = () =>
    network.pds.ctx.accountManager.db.db
      .selectFrom('email_token')
      .select(['token', 'purpose'])
      .where('did', '=', did as `did:${string}:${string}`)
      .execute();

  before(async () => {
    network = await TestNetworkNoAppView.create({});
    const agent = network.pds.getClient();
    await agent.createAccount({ handle: 'labeler.test', email: 'labeler@skysift.test', password: 'account-password' });
    did = agent.session!.did;
    appPassword = (await agent.com.atproto.server.createAppPassword({ name: 'skysift' })).data.password;
    const keypair = await Secp256k1Keypair.create({ exportable: true });
    signingKey = Buffer.from(await keypair.export()).toString('hex');
    signingDidKey = keypair.did();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-declare-'));
    env = {
      DATA_DIR: dataDir,
      MANIFESTS_DIR: 'manifests',
      LOG_LEVEL: 'silent',
      LABELER_HANDLE: 'labeler.test',
      LABELER_PASSWORD: appPassword,
      LABELER_PDS_URL: network.pds.url,
      LABELER_PLC_URL: network.plc.url,
      LABELER_DID: did,
      LABELER_SIGNING_KEY: signingKey,
      LABELER_PUBLIC_URL: PUBLIC_URL,
    };
  });
  after(async () => {
    await network.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('--dry-run prints a lexicon-valid declaration of the shipped manifests without logging in', async () => {
    const { code, stdout } = await runCli(['declare', '--dry-run'], { ...env, LABELER_PDS_URL: 'http://127.0.0.1:9' });
    assert.equal(code, 0);
    const record = JSON.parse(stdout);
    assert.ok(AppBskyLabelerService.validateRecord(record).success);
    const labels = await shipped;
    assert.deepEqual(
      record.policies.labelValues,
      labels.map((l) => l.value),
    );
    assert.deepEqual(
      record.policies.labelValueDefinitions.map((d: Record<string, unknown>) => [d.identifier, d.severity, d.blurs, d.defaultSetting, d.adultOnly]),
      labels.map((l) => [l.value, l.severity, l.blurs, l.defaultSetting, l.adultOnly]),
    );
  });

  it('declare writes app.bsky.labeler.service/self with an app password, and writes nothing when unchanged', async () => {
    const first = await runCli(['declare'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^declared did:plc:/);
    const reader = new AtpAgent({ service: network.pds.url });
    const stored = await reader.com.atproto.repo.getRecord({ repo: did, collection: 'app.bsky.labeler.service', rkey: 'self' });
    const checked = AppBskyLabelerService.validateRecord(stored.data.value);
    assert.ok(checked.success);
    const dryRun = JSON.parse((await runCli(['declare', '--dry-run'], env)).stdout);
    assert.deepEqual(stored.data.value.policies, dryRun.policies);

    const second = await runCli(['declare'], env);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /nothing written/);
    const again = await reader.com.atproto.repo.getRecord({ repo: did, collection: 'app.bsky.labeler.service', rkey: 'self' });
    assert.equal(again.data.cid, stored.data.cid);
  });

  it('declare refuses an account other than LABELER_DID', async () => {
    const { code, stderr } = await runCli(['declare'], { ...env, LABELER_DID: 'did:plc:someoneelse' });
    assert.notEqual(code, 0);
    assert.match(stderr, /logged in as did:plc:\w+, but LABELER_DID is did:plc:someoneelse/);
  });

  it('setup says what to do when the PDS refuses: a wrong password, or an app password for a DID change', async () => {
    const wrong = await runCli(['setup'], { ...env, LABELER_PASSWORD: 'not-the-password' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^skysift setup: could not log in to http:\/\/localhost:\d+ as labeler.test: Invalid identifier or password\n$/);
    const app = await runCli(['setup'], env);
    assert.equal(app.code, 1);
    assert.match(app.stderr, /app password: set LABELER_PASSWORD to the account password/);
    assert.deepEqual(await emailTokens(), []);
  });

  it('setup asks for the emailed code, then publishes #atproto_label and #atproto_labeler; run again it changes nothing', async () => {
    const withAccountPassword = { ...env, LABELER_PASSWORD: 'account-password' };
    const request = await runCli(['setup'], withAccountPassword);
    assert.equal(request.code, 0, request.stderr);
    assert.match(request.stdout, new RegExp(`verificationMethods.atproto_label: \\(none\\) → "${signingDidKey}"`));
    assert.match(request.stdout, /services.atproto_labeler: \(none\) → \{"type":"AtprotoLabeler","endpoint":"https:\/\/labeler.skysift.test"\}/);
    assert.match(request.stdout, /skysift setup --token <CODE>/);
    const tokens = await emailTokens();
    assert.deepEqual(
      tokens.map((t) => t.purpose),
      ['plc_operation'],
    );
    assert.equal(methodKey(await didDocument(), 'atproto_label'), undefined, 'nothing changes before the code is given');

    const confirm = await runCli(['setup', '--token', tokens[0]!.token], withAccountPassword);
    assert.equal(confirm.code, 0, confirm.stderr);
    assert.match(confirm.stdout, /is set up as a labeler/);
    const doc = await didDocument();
    assert.equal(methodKey(doc, 'atproto_label'), signingDidKey);
    assert.ok(methodKey(doc, 'atproto'), 'the repository signing key stays');
    assert.deepEqual(
      doc.service?.filter((s) => s.id.endsWith('#atproto_labeler')).map((s) => [s.type, s.serviceEndpoint]),
      [['AtprotoLabeler', PUBLIC_URL]],
    );
    assert.equal(doc.service?.find((s) => s.id.endsWith('#atproto_pds'))?.serviceEndpoint, network.pds.url, 'the PDS service stays');

    const rerun = await runCli(['setup'], withAccountPassword);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stdout, /is already set up/);
    assert.deepEqual(await emailTokens(), [], 'no new code was requested');
  });

  it('a label the service signs verifies against the #atproto_label key resolved from the DID document, and only that key', async () => {
    const doc = await didDocument();
    const published = methodKey(doc, 'atproto_label');
    const repoKey = methodKey(doc, 'atproto');
    assert.ok(published && repoKey, 'setup ran first');
    const { db } = openDatabase(path.join(dataDir, 'skysift.sqlite'));
    const labeler = new Labeler({ identity: { did, signingKey, mode: 'production' }, db, dataDir, logger: pino({ level: 'silent' }) });
    try {
      const service = (await labeler.start(0, '127.0.0.1')).replace('0.0.0.0', '127.0.0.1');
      const subject = 'at://did:plc:author/app.bsky.feed.post/3kabc';
      await labeler.apply(
        [{ uri: subject, cid: 'bafyreib2rxk3rybk3aobmv5cjuql3bm2twh4jo5uxgf5mpqtzqutbuvyjy', label: 'news-link', manifestVersion: 'v1', matched: true, explanation: [] }],
        [],
        new Map(),
      );
      const [label] = (await queryAllLabels(service, [subject])) as unknown as WireLabel[];
      assert.equal(label?.src, did);
      assert.equal(await verifyLabel(label!, published), true);
      assert.equal(await verifyLabel(label!, repoKey), false);
    } finally {
      await labeler.close();
      db.close();
    }
  });
});

describe('labelerDidPlan', () => {
  const pds = { type: 'AtprotoPersonalDataServer', endpoint: 'https://pds.example' };
  const labeler = { type: 'AtprotoLabeler', endpoint: PUBLIC_URL };

  it('replaces a rotated key and a moved endpoint, keeping every other method and service', () => {
    const current = {
      verificationMethods: { atproto: 'did:key:repo', atproto_label: 'did:key:old' },
      services: { atproto_pds: pds, atproto_labeler: { ...labeler, endpoint: 'https://old.example' } },
    };
    const { changes, next } = labelerDidPlan(current, 'did:key:new', PUBLIC_URL);
    assert.deepEqual(changes, [
      { field: 'verificationMethods.atproto_label', from: 'did:key:old', to: 'did:key:new' },
      { field: 'services.atproto_labeler', from: { ...labeler, endpoint: 'https://old.example' }, to: labeler },
    ]);
    assert.deepEqual(next, { verificationMethods: { atproto: 'did:key:repo', atproto_label: 'did:key:new' }, services: { atproto_pds: pds, atproto_labeler: labeler } });
  });

  it('plans nothing when both are already in place', () => {
    assert.deepEqual(labelerDidPlan({ verificationMethods: { atproto_label: 'did:key:k' }, services: { atproto_labeler: labeler } }, 'did:key:k', PUBLIC_URL).changes, []);
  });
});
