import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AtpAgent } from '@atproto/api';
import { Secp256k1Keypair } from '@atproto/crypto';
import { TestNetworkNoAppView } from '@atproto/dev-env';
import { createServiceJwt } from '@atproto/xrpc-server';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { resolveIdentity } from '../src/label/identity.ts';
import { Labeler } from '../src/label/index.ts';
import { createReportRoute } from '../src/moderation/create-report.ts';
import { serviceAuthVerifier } from '../src/moderation/service-auth.ts';
import { openStages } from '../src/service.ts';
import { openDatabase } from '../src/store/database.ts';
import { ReportStore } from '../src/moderation/reports.ts';
import { runCli } from './support/cli.ts';
import { LabelSubscriber } from './support/label-verifier.ts';
import { RecordEvents, setUpLabelerAccount } from './support/labeler-account.ts';
import { freePort } from './support/ports.ts';

const silent = pino({ level: 'silent' });
const LABEL = 'election-talk';
const MANIFEST = { label: { value: LABEL, locales: [{ lang: 'en', name: 'Election talk', description: 'Posts that mention an election.' }] }, filter: { regex_matches: ['text', '\\belection\\b'] } };
const NSID = 'com.atproto.moderation.createReport';
const APPEAL = 'com.atproto.moderation.defs#reasonAppeal';
const OTHER = 'com.atproto.moderation.defs#reasonOther';
const PER_REPORTER = 10;

/**
 * Reports and appeals through the real network, locally: PLC and PDS of `@atproto/dev-env`, a labeler
 * account set up with `skysift setup` and `skysift declare`, users who send createReport through their
 * PDS (`atproto-proxy: <labeler>#atproto_labeler`), and the operator resolving them with the CLI while
 * the service runs.
 */
describe('moderation: reports, appeals and labels decided by hand', () => {
  let network: TestNetworkNoAppView;
  let dataDir: string;
  let env: Record<string, string>;
  let service: string;
  let stages: Awaited<ReturnType<typeof openStages>>;
  let labelerDid: string;
  let subscriber: LabelSubscriber;
  const users: Record<'alice' | 'bob' | 'carol', AtpAgent> = {} as never;
  let events: RecordEvents;

  const toLabeler = (user: AtpAgent) => user.withProxy('atproto_labeler', labelerDid);
  const post = async (text: string) => {
    const { uri, cid } = await users.alice.post({ text, createdAt: new Date().toISOString() });
    return { uri, cid };
  };
  /** Posts as alice, and labels the post through the pipeline as a Jetstream event would. */
  const labelledPost = async (text: string) => {
    const ref = await post(text);
    const { labelled } = await stages.pipeline([await events.of(ref.uri, 'create')]);
    assert.equal(labelled.length, 1);
    return ref;
  };
  const strongRef = (ref: { uri: string; cid: string }) => ({ $type: 'com.atproto.repo.strongRef', ...ref });
  /** createReport straight to the labeler, with this Authorization header. */
  const sendDirect = (authorization: string | undefined, body: unknown) =>
    fetch(`${service}/xrpc/${NSID}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: JSON.stringify(body) });
  /**
   * createReport straight to the labeler with the token the user's PDS issues for it: what the PDS
   * proxy sends, with the labeler's refusal as it answered it (the PDS answers 500 for any refusal).
   */
  const reportAs = async (user: AtpAgent, body: unknown) => {
    const res = await sendDirect(await serviceToken(user, labelerDid), body);
    return { status: res.status, ...((await res.json()) as { error?: string; message?: string }) };
  };
  const serviceToken = async (user: AtpAgent, aud: string, lxm = NSID) => `Bearer ${(await user.com.atproto.server.getServiceAuth({ aud, lxm })).data.token}`;
  const received = async () => (await stages.metrics.reportsReceived.get()).values.reduce((n, v) => n + v.value, 0);
  const ours = (uri: string) => subscriber.labels.filter((l) => l.uri === uri).map((l) => (l.neg ? `-${l.val}` : l.val));

  before(async () => {
    network = await TestNetworkNoAppView.create({});
    for (const name of ['alice', 'bob', 'carol'] as const) {
      users[name] = new AtpAgent({ service: network.pds.url });
      await users[name].createAccount({ handle: `${name}.test`, email: `${name}@skysift.test`, password: `${name}-pw` });
    }
    events = new RecordEvents(users.alice);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-moderation-'));
    const port = await freePort();
    const account = await setUpLabelerAccount(network, { dataDir, port, manifests: { 'election-talk.json': MANIFEST }, env: { REPORTS_PER_REPORTER_PER_HOUR: String(PER_REPORTER) } });
    labelerDid = account.did;
    env = account.env;
    stages = await openStages(loadConfig(env), silent);
    service = `http://127.0.0.1:${port}`;
    await stages.labeler.start(port, '127.0.0.1', stages.moderationRoutes);
    subscriber = new LabelSubscriber(service, 0);
    await subscriber.opened();
  });

  after(async () => {
    subscriber?.socket.close();
    await stages?.close();
    await network?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('an appeal sent through the PDS arrives verified, linked to the label, and answered as the lexicon says', async () => {
    const ref = await labelledPost('Who will win the election?');
    const { data } = await toLabeler(users.alice).com.atproto.moderation.createReport({ reasonType: APPEAL, reason: 'This is about a football match.', subject: strongRef(ref) });
    assert.equal(data.reportedBy, users.alice.did!);
    assert.equal(data.reasonType, APPEAL);
    assert.deepEqual(data.subject, strongRef(ref));
    const stored = stages.reports.get(data.id);
    assert.deepEqual(
      { appealed: stored?.appealed, status: stored?.status, subject: stored?.subject, reason: stored?.reason },
      { appealed: [LABEL], status: 'open', subject: { type: 'record', ...ref }, reason: 'This is about a football match.' },
    );
    const again = await toLabeler(users.alice).com.atproto.moderation.createReport({ reasonType: APPEAL, subject: strongRef(ref) });
    assert.equal(again.data.id, data.id, 'a repeated open appeal is the same appeal');
  });

  it('another account may report a post, but not appeal its label; reasons and subjects outside the declaration are refused', async () => {
    const ref = await labelledPost('The election is rigged, they say.');
    const { data } = await toLabeler(users.bob).com.atproto.moderation.createReport({ reasonType: OTHER, reason: 'should carry your label', subject: strongRef(ref) });
    assert.equal(stages.reports.get(data.id)?.appealed, null);
    const refused = async (user: AtpAgent, body: unknown, message: RegExp) => {
      const answer = await reportAs(user, body);
      assert.deepEqual([answer.status, answer.error], [400, 'InvalidRequest']);
      assert.match(answer.message!, message);
    };
    await refused(users.bob, { reasonType: APPEAL, subject: strongRef(ref) }, new RegExp(`only ${users.alice.did!} can appeal`));
    await refused(users.bob, { reasonType: 'com.atproto.moderation.defs#reasonSpam', subject: strongRef(ref) }, /does not take reports of reason com.atproto.moderation.defs#reasonSpam/);
    const like = { uri: `at://${users.alice.did!}/app.bsky.feed.like/3kabc`, cid: ref.cid };
    await refused(users.bob, { reasonType: OTHER, subject: strongRef(like) }, /does not take reports on app.bsky.feed.like records/);
    const unlabelled = await post('Lunch was good.');
    await refused(users.alice, { reasonType: APPEAL, subject: strongRef(unlabelled) }, /nothing to appeal/);
    await refused(users.alice, { reasonType: OTHER, subject: { uri: ref.uri } }, /subject/);
  });

  it('forged, expired, wrongly addressed and other-method tokens are refused with no side effect', async () => {
    const ref = await labelledPost('Election night thread');
    const body = { reasonType: APPEAL, subject: strongRef(ref) };
    const before = { reports: stages.reports.counts(), received: await received() };
    const aliceKey = await network.pds.ctx.actorStore.keypair(users.alice.did!);
    const jwt = (params: Partial<Parameters<typeof createServiceJwt>[0]>) =>
      createServiceJwt({ iss: users.alice.did!, aud: labelerDid, lxm: NSID, keypair: aliceKey, ...params }).then((t) => `Bearer ${t}`);
    const refusals: [string, string | undefined, string][] = [
      ['forged (signed by another key)', await jwt({ keypair: await Secp256k1Keypair.create() }), 'BadJwtSignature'],
      ['expired', await jwt({ iat: Math.floor(Date.now() / 1000) - 120, exp: Math.floor(Date.now() / 1000) - 60 }), 'JwtExpired'],
      ['addressed to another service', await serviceToken(users.alice, 'did:plc:someotherlabeler'), 'BadJwtAudience'],
      ['for another method', await serviceToken(users.alice, labelerDid, 'com.atproto.label.queryLabels'), 'BadJwtLexiconMethod'],
      ['without a method', await jwt({ lxm: null }), 'BadJwtLexiconMethod'],
      ['without a token', undefined, 'AuthenticationRequired'],
    ];
    for (const [what, authorization, error] of refusals) {
      const res = await sendDirect(authorization, body);
      assert.equal(res.status, 401, what);
      assert.equal(((await res.json()) as { error: string }).error, error, what);
    }
    assert.deepEqual(stages.reports.counts(), before.reports, 'nothing stored');
    assert.equal(await received(), before.received, 'nothing counted as received');
    const refused = (await stages.metrics.reportsRefused.get()).values.find((v) => v.labels.error === 'BadJwtSignature');
    assert.equal(refused?.value, 1);
    // Six refused requests in alice's name, more than her hourly allowance: none of it was spent.
    const ok = await sendDirect(await jwt({}), body);
    assert.equal(ok.status, 200, await ok.text());
  });

  it('limits reports per reporter and caps their size', async () => {
    const ref = await post('Nothing to see');
    const report = () => reportAs(users.carol, { reasonType: OTHER, subject: strongRef(ref) });
    for (let i = 0; i < PER_REPORTER; i++) assert.equal((await report()).status, 200);
    const limited = await report();
    assert.deepEqual([limited.status, limited.error], [429, 'RateLimitExceeded']);
    assert.match(limited.message!, /too many reports; try again in \d+ s/);
    assert.equal((await reportAs(users.bob, { reasonType: OTHER, subject: strongRef(ref) })).status, 200, 'others are not limited by carol');

    const token = await serviceToken(users.bob, labelerDid);
    const long = await sendDirect(token, { reasonType: OTHER, reason: 'x'.repeat(2001), subject: strongRef(ref) });
    assert.equal(long.status, 400);
    assert.match(((await long.json()) as { message: string }).message, /reason must not be longer than 2000 graphemes/);
    const huge = await sendDirect(token, { reasonType: OTHER, reason: 'x'.repeat(40_000), subject: strongRef(ref) });
    assert.equal(huge.status, 413);
  });

  it('limits reports from everyone together', async () => {
    const localDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-reports-'));
    const { db } = openDatabase(path.join(localDir, 'skysift.sqlite'));
    const labeler = new Labeler({ identity: await resolveIdentity(loadConfig({ DATA_DIR: localDir }), silent), db, dataDir: localDir, logger: silent });
    try {
      const url = await labeler.start(0, '127.0.0.1', (app) =>
        createReportRoute(app, {
          policy: { ...loadConfig(env), REPORTS_PER_MINUTE: 2 },
          reports: new ReportStore(db),
          labels: labeler.store,
          verify: serviceAuthVerifier({ labelerDid, plcUrl: network.plc.url }),
          logger: silent,
        }),
      );
      const subject = { $type: 'com.atproto.admin.defs#repoRef', did: users.alice.did! };
      const statuses = [];
      for (const user of [users.alice, users.bob, users.carol]) {
        const res = await fetch(`${url.replace('0.0.0.0', '127.0.0.1')}/xrpc/${NSID}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: await serviceToken(user, labelerDid) },
          body: JSON.stringify({ reasonType: OTHER, subject }),
        });
        statuses.push(res.status);
      }
      assert.deepEqual(statuses, [200, 200, 429], 'the third account is within its own limit, not within everyone’s');
    } finally {
      await labeler.close();
      db.close();
      fs.rmSync(localDir, { recursive: true, force: true });
    }
  });

  it('an upheld appeal negates the label on subscribeLabels, and a re-evaluation of the post does not bring it back', async () => {
    const ref = await labelledPost('My election-themed cake recipe');
    const { data } = await toLabeler(users.alice).com.atproto.moderation.createReport({ reasonType: APPEAL, reason: 'A cake.', subject: strongRef(ref) });
    const listed = await runCli(['reports', 'list'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`^#${data.id}\\topen\\t\\S+\\tappeal of ${LABEL}\\t${ref.uri}\\tby ${users.alice.did!}\\t"A cake."$`, 'm'));
    await subscriber.waitFor(subscriber.labels.length);
    const seen = subscriber.labels.length;

    const resolved = await runCli(['reports', 'resolve', String(data.id), '--uphold', '--reason', 'a cake, not an election', '--by', 'mod-ann'], env);
    assert.equal(resolved.code, 0, resolved.stderr);
    assert.match(resolved.stdout, new RegExp(`report #${data.id} upheld by mod-ann\\n  negated ${LABEL} on ${ref.uri}`));
    await subscriber.waitFor(seen + 1);
    assert.deepEqual(ours(ref.uri), [LABEL, `-${LABEL}`], 'the running service streamed the negation the CLI committed');
    assert.equal(subscriber.labels.at(-1)!.cid, ref.cid);

    const shown = await runCli(['reports', 'show', String(data.id), '--json'], env);
    const { report } = JSON.parse(shown.stdout);
    assert.deepEqual([report.status, report.resolvedBy, report.resolution], ['upheld', 'mod-ann', 'a cake, not an election']);

    const { labelled } = await stages.pipeline([await events.of(ref.uri, 'update')]);
    assert.deepEqual(labelled, [], 'the manifest still matches, and changes nothing');
    const explained = await runCli(['explain', ref.uri], env);
    assert.match(explained.stdout, new RegExp(`overridden by hand: negated by mod-ann at \\S+: a cake, not an election \\(report #${data.id}\\)`));
    assert.match(explained.stdout, /the manifests last said: label \(manifest version/);

    const again = await runCli(['reports', 'resolve', String(data.id), '--reject', '--reason', 'changed my mind'], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`report #${data.id} is already resolved \\(upheld by mod-ann`));

    const cleared = await runCli(['label', 'clear', ref.uri, LABEL], env);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.match(cleared.stdout, new RegExp(`labelled ${LABEL} on ${ref.uri}`), 'back to what the manifest last decided');
    await subscriber.waitFor(seen + 2);
    assert.deepEqual(ours(ref.uri), [LABEL, `-${LABEL}`, LABEL]);
  });

  it('a rejected appeal keeps the label, and says who rejected it and why', async () => {
    const ref = await labelledPost('Election polls are open');
    const { data } = await toLabeler(users.alice).com.atproto.moderation.createReport({ reasonType: APPEAL, subject: strongRef(ref) });
    const resolved = await runCli(['reports', 'resolve', String(data.id), '--reject', '--reason', 'it is about the election', '--by', 'mod-bo'], env);
    assert.equal(resolved.code, 0, resolved.stderr);
    assert.deepEqual([...(await stages.labeler.store.activeState([ref.uri])).keys()].length, 1);
    const report = stages.reports.get(data.id)!;
    assert.deepEqual([report.status, report.resolvedBy, report.resolution], ['rejected', 'mod-bo', 'it is about the election']);
  });

  it('labels by hand: an account by its DID, a post by its bsky.app URL; a later verdict does not undo them', async () => {
    const seen = subscriber.labels.length;
    const added = await runCli(['label', 'add', users.bob.did!, LABEL, '--reason', 'posts about elections all day', '--by', 'mod-ann'], env);
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stdout.trim(), `labelled ${LABEL} on ${users.bob.did!}`);
    const ref = await labelledPost('Election memes, part 3');
    await subscriber.waitFor(seen + 2);
    const rkey = ref.uri.split('/').pop();
    const negated = await runCli(['label', 'negate', `https://bsky.app/profile/${users.alice.did!}/post/${rkey}`, LABEL, '--reason', 'satire'], env);
    assert.equal(negated.code, 0, negated.stderr);
    assert.equal(negated.stdout.trim(), `negated ${LABEL} on ${ref.uri}`);
    await subscriber.waitFor(seen + 3);
    assert.deepEqual(ours(users.bob.did!), [LABEL]);
    assert.deepEqual(ours(ref.uri), [LABEL, `-${LABEL}`]);
    assert.deepEqual((await stages.pipeline([await events.of(ref.uri, 'update')])).labelled, []);

    const json = JSON.parse((await runCli(['explain', users.bob.did!, '--json'], env)).stdout);
    assert.deepEqual(
      json.labels.map((l: { val: string; active: boolean; override: { createdBy: string; reason: string } }) => [l.val, l.active, l.override.createdBy, l.override.reason]),
      [[LABEL, true, 'mod-ann', 'posts about elections all day']],
    );
    const undeclared = await runCli(['label', 'add', users.bob.did!, 'spammer'], env);
    assert.equal(undeclared.code, 1);
    assert.match(undeclared.stderr, /^skysift label add: spammer is not the label of a manifest in .* \(election-talk\)/);
    const nothing = await runCli(['label', 'clear', users.carol.did!, LABEL], env);
    assert.equal(nothing.code, 1);
    assert.match(nothing.stderr, /no decision by hand on election-talk for did:plc:\w+: nothing to clear/);
    const cleared = await runCli(['label', 'clear', users.bob.did!, LABEL], env);
    assert.match(cleared.stdout, new RegExp(`negated ${LABEL} on ${users.bob.did!}`), 'no manifest labels accounts: the label goes');
  });

  it('counts reports received and reports by status in /metrics', async () => {
    const open = stages.reports.counts().open;
    assert.ok(open > 0);
    assert.ok((await received()) >= 8);
    const text = await stages.metrics.registry.metrics();
    assert.match(text, new RegExp(`skysift_reports\\{status="open"\\} ${open}`));
    assert.match(text, /skysift_reports\{status="upheld"\} 1/);
    assert.match(text, /skysift_reports_received_total\{kind="appeal"\} \d+/);
  });
});
