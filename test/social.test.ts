import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AtpAgent } from '@atproto/api';
import { TestNetwork } from '@atproto/dev-env';
import { loadConfig } from '../src/config.ts';
import { consolidateJetstreamEvent } from '../src/consolidate/index.ts';
import type { ConsolidatedPost } from '../src/consolidate/post.ts';
import { evaluateBatch, isDecided } from '../src/evaluate/index.ts';
import { createLogger } from '../src/log.ts';
import { compileManifest, type CompiledManifest } from '../src/manifests/load.ts';
import { openStages } from '../src/service.ts';
import { openServices } from '../src/services/index.ts';
import type { Services } from '../src/core/services.ts';
import { AppView } from '../src/social/appview.ts';
import { MEMBERSHIP_WATCHER, MembershipRegistry } from '../src/social/registry.ts';
import { AuthorSessions } from '../src/social/sessions.ts';
import { SocialSetStore } from '../src/social/store.ts';
import { openDatabase } from '../src/store/database.ts';
import { startTestPostgres, type TestPostgres } from './support/postgres.ts';

/**
 * The social operators against a real PLC + PDS + AppView (`@atproto/dev-env`): accounts, follows,
 * a list and a starter pack are real records; live updates are Jetstream-shaped events built from
 * the records the PDS stored.
 */
describe('social operators against a local AppView', () => {
  let pg: TestPostgres;
  let network: TestNetwork;
  let dir: string;
  let db: ReturnType<typeof openDatabase>['db'];
  let services: Services;
  const logs: string[] = [];
  const agents: Record<string, AtpAgent> = {};
  const did: Record<string, string> = {};
  let listUri: string;
  let starterPackUri: string;
  let packListUri: string;
  let carolItem: string;
  let aliceFollowsCarol: string;
  let time = 1_780_000_000_000_000;
  let appViewStopped = false;

  /** Distinctive passwords, so that a test can tell whether one leaked into the logs. */
  const password = (name: string) => `${name}-pw-7Qk2v9`;

  async function account(name: string) {
    const agent = new AtpAgent({ service: network.pds.url });
    await agent.createAccount({ handle: `${name}.test`, email: `${name}@example.com`, password: password(name) });
    agents[name] = agent;
    did[name] = agent.session!.did;
  }

  async function createRecord(name: string, collection: string, record: Record<string, unknown>): Promise<string> {
    const { data } = await agents[name]!.com.atproto.repo.createRecord({ repo: did[name]!, collection, record: { $type: collection, createdAt: new Date().toISOString(), ...record } });
    return data.uri;
  }

  /** The Jetstream event for a record as the PDS stored it. */
  async function createEvent(uri: string) {
    const [, , repo, collection, rkey] = uri.split('/');
    const { data } = await agents.alice!.com.atproto.repo.getRecord({ repo: repo!, collection: collection!, rkey: rkey! });
    return { kind: 'commit', did: repo, time_us: time++, commit: { operation: 'create', collection, rkey, rev: 'rev', cid: data.cid, record: data.value } };
  }

  async function deleteEvent(name: string, uri: string) {
    const [, , repo, collection, rkey] = uri.split('/');
    await agents[name]!.com.atproto.repo.deleteRecord({ repo: repo!, collection: collection!, rkey: rkey! });
    return { kind: 'commit', did: repo, time_us: time++, commit: { operation: 'delete', collection, rkey, rev: 'rev' } };
  }

  function postBy(name: string): ConsolidatedPost {
    const result = consolidateJetstreamEvent({
      kind: 'commit',
      did: did[name],
      time_us: time++,
      commit: {
        operation: 'create',
        collection: 'app.bsky.feed.post',
        rkey: `post${time}`,
        cid: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm',
        record: { $type: 'app.bsky.feed.post', text: 'hello', createdAt: new Date().toISOString() },
      },
    });
    assert.equal(result.kind, 'post');
    return (result as { post: ConsolidatedPost }).post;
  }

  async function manifest(value: string, filter: unknown, author?: unknown): Promise<CompiledManifest> {
    const { manifest, problems } = await compileManifest(`${value}.json`, JSON.stringify({ label: { value }, filter, ...(author !== undefined && { author }) }), { services: services.compile });
    assert.deepEqual(problems, []);
    return manifest!;
  }

  /** Which of these authors each manifest labels; a manifest undecided on a post leaves it out of its list. */
  async function verdicts(manifests: CompiledManifest[], names: string[]): Promise<Record<string, Record<string, boolean>>> {
    const out: Record<string, Record<string, boolean>> = Object.fromEntries(manifests.map((m) => [m.label.value, {}]));
    const posts = names.map(postBy);
    for (const v of await evaluateBatch(posts, manifests, services.providers, services.memberships())) {
      if (isDecided(v)) out[v.label]![names[posts.findIndex((p) => p.uri === v.uri)]!] = v.matched;
    }
    return out;
  }

  const registry = () => services.compile.get(MEMBERSHIP_WATCHER) as MembershipRegistry;

  before(async () => {
    pg = await startTestPostgres();
    process.env.REDIS_HOST ||= 'unused-by-these-tests';
    network = await TestNetwork.create({ dbPostgresUrl: pg.url, dbPostgresSchema: 'skysift_social' });
    for (const name of ['alice', 'bob', 'carol', 'dave']) await account(name);
    await agents.alice!.follow(did.bob!);
    aliceFollowsCarol = (await agents.alice!.follow(did.carol!)).uri;
    await agents.bob!.follow(did.alice!);
    listUri = await createRecord('alice', 'app.bsky.graph.list', { purpose: 'app.bsky.graph.defs#curatelist', name: 'friends' });
    carolItem = await createRecord('alice', 'app.bsky.graph.listitem', { subject: did.carol, list: listUri });
    packListUri = await createRecord('alice', 'app.bsky.graph.list', { purpose: 'app.bsky.graph.defs#referencelist', name: 'pack' });
    await createRecord('alice', 'app.bsky.graph.listitem', { subject: did.bob, list: packListUri });
    starterPackUri = await createRecord('alice', 'app.bsky.graph.starterpack', { name: 'Starter', list: packListUri });
    await network.processAll();

    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-social-'));
    db = openDatabase(path.join(dir, 'skysift.sqlite')).db;
    const config = loadConfig({ APPVIEW_URL: network.bsky.url, DATA_DIR: dir });
    const logger = createLogger('info', { destination: { write: (line: string) => void logs.push(line) } });
    services = await openServices({ config, logger, db });
  });

  after(async () => {
    await services?.close();
    db?.close();
    // The last test stops the AppView itself; TestNetwork.close() would stop it a second time.
    if (appViewStopped) {
      await network.ozone.close();
      await network.pds.close();
      await network.plc.close();
    } else await network?.close();
    await pg?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  let manifests: CompiledManifest[];
  it('compiles every operator, resolving handles and bsky.app URLs, and loads each set from the AppView', async () => {
    const [, , , , listRkey] = listUri.split('/');
    const [, , , , packRkey] = starterPackUri.split('/');
    manifests = await Promise.all([
      manifest('follows', { social_graph: ['alice.test', 'in', 'follows'] }),
      manifest('followers', { user_network: [did.alice, 'is_in', 'followers'] }),
      manifest('not-followed', { social_graph: ['@Alice.test', 'not_in', 'follows'] }),
      manifest('accounts', { social_list: [['alice.test', did.dave], 'in'] }),
      manifest('not-listed', { list_member: [`https://bsky.app/profile/alice.test/lists/${listRkey}`, 'not_in'] }),
      manifest('listed', { list_member: [listUri, 'is_in'] }),
      manifest('pack', { starter_pack_member: [`https://bsky.app/starter-pack/alice.test/${packRkey}`, 'in'] }),
    ]);
    await registry().settled();
    assert.deepEqual(await verdicts(manifests, ['alice', 'bob', 'carol', 'dave']), {
      follows: { alice: false, bob: true, carol: true, dave: false },
      followers: { alice: false, bob: true, carol: false, dave: false },
      'not-followed': { alice: true, bob: false, carol: false, dave: true },
      accounts: { alice: true, bob: false, carol: false, dave: true },
      'not-listed': { alice: true, bob: true, carol: false, dave: true },
      listed: { alice: false, bob: false, carol: true, dave: false },
      pack: { alice: false, bob: true, carol: false, dave: false },
    });
    const rows = db.prepare('SELECT key, members FROM social_sets ORDER BY key').all() as { key: string; members: string }[];
    assert.equal(rows.length, 6, 'one cached row per distinct set (follows is shared by two manifests)');
    assert.deepEqual(JSON.parse(rows.find((r) => r.key === 'follows:alice.test')!.members).sort(), [did.bob, did.carol].sort());
  });

  it('applies live follow, unfollow and list-item events, including deletes of records fetched from the AppView', async () => {
    const follows = [manifests[0]!, manifests[1]!, manifests[5]!, manifests[6]!];
    const aliceFollowsDave = (await agents.alice!.follow(did.dave!)).uri;
    const daveFollowsAlice = (await agents.dave!.follow(did.alice!)).uri;
    const daveItem = await createRecord('alice', 'app.bsky.graph.listitem', { subject: did.dave, list: listUri });
    const carolPackItem = await createRecord('alice', 'app.bsky.graph.listitem', { subject: did.carol, list: packListUri });
    services.observe(await Promise.all([aliceFollowsDave, daveFollowsAlice, daveItem, carolPackItem].map(createEvent)));
    assert.deepEqual(await verdicts(follows, ['bob', 'carol', 'dave']), {
      follows: { bob: true, carol: true, dave: true },
      followers: { bob: true, carol: false, dave: true },
      listed: { bob: false, carol: true, dave: true },
      pack: { bob: true, carol: true, dave: false },
    });

    // Records the AppView reported (follows via getRelationships, list items via getList) and ones seen live.
    const { data } = await agents.alice!.app.bsky.graph.getRelationships({ actor: did.alice!, others: [did.bob!] });
    const aliceFollowsBob = (data.relationships[0] as { following: string }).following;
    const bobFollowsAlice = (data.relationships[0] as { followedBy: string }).followedBy;
    services.observe([
      await deleteEvent('alice', aliceFollowsBob),
      await deleteEvent('bob', bobFollowsAlice),
      await deleteEvent('alice', carolItem),
      await deleteEvent('alice', aliceFollowsDave),
      await deleteEvent('alice', carolPackItem),
    ]);
    assert.deepEqual(await verdicts(follows, ['bob', 'carol', 'dave']), {
      follows: { bob: false, carol: true, dave: false },
      followers: { bob: false, carol: false, dave: true },
      listed: { bob: false, carol: false, dave: true },
      pack: { bob: true, carol: false, dave: false },
    });

    // The AppView agrees once it has indexed the same records: a refresh changes nothing.
    await network.processAll();
    await Promise.all([...registry().snapshots().keys()].map((key) => registry().refresh(key)));
    assert.deepEqual(await verdicts(follows, ['bob', 'carol', 'dave']), {
      follows: { bob: false, carol: true, dave: false },
      followers: { bob: false, carol: false, dave: true },
      listed: { bob: false, carol: false, dave: true },
      pack: { bob: true, carol: false, dave: false },
    });
  });

  it('a set that cannot be fetched leaves its leaf undecided, not even under not, and is logged', async () => {
    const missing = `at://${did.alice}/app.bsky.graph.list/3notalist222`;
    const inactive = await manifest('missing', { not: { list_member: [missing, 'in'] } });
    const mixed = await manifest('mixed', { or: [{ list_member: [missing, 'not_in'] }, { social_list: [[did.bob], 'in'] }] });
    await registry().settled();
    assert.equal(registry().snapshots().has(`list:${missing}`), false);
    // The missing set's leaf is undecided, and so is any manifest it decides: `not` cannot turn it into a
    // match. An `or` whose other branch matches (bob is in the list) is true whatever the missing set holds.
    assert.deepEqual(await verdicts([inactive, mixed], ['alice', 'bob']), { missing: {}, mixed: { bob: true } });
    assert.ok(logs.some((line) => line.includes('"level":50') && line.includes(missing) && line.includes('stay inactive')));
  });

  it('refreshes a set when a quarter of its TTL is left, not before, keeping events seen meanwhile, and caches it in SQLite', async () => {
    let clock = Date.now();
    const ttlMs = 60_000;
    const cache = openDatabase(':memory:').db;
    const social = new MembershipRegistry({
      appview: new AppView({ service: network.bsky.url, concurrency: 2 }),
      store: new SocialSetStore(cache),
      ttlMs,
      logger: createLogger('silent'),
      now: () => clock,
    });
    try {
      const key = social.watch({ type: 'followers', actor: 'alice.test' }, { manifest: { file: 'followers.json', version: '1' } });
      social.start();
      await social.settled();
      const fetchedAt = () => cache.prepare('SELECT fetched_at FROM social_sets WHERE key = ?').pluck().get(key);
      const first = fetchedAt();
      assert.equal(first, new Date(clock).toISOString());
      clock += ttlMs / 2;
      await social.refreshDue();
      assert.equal(fetchedAt(), first);
      assert.deepEqual([...social.snapshots().get(key)!], [did.dave]);
      // A follow seen on Jetstream while the refresh is under way survives it, whether or not the AppView had indexed it.
      const follow = await createEvent((await agents.carol!.follow(did.alice!)).uri);
      clock += ttlMs / 4 + 1;
      const refreshing = social.refreshDue();
      social.observe([follow]);
      await refreshing;
      assert.equal(fetchedAt(), new Date(clock).toISOString());
      assert.deepEqual([...social.snapshots().get(key)!].sort(), [did.carol!, did.dave!].sort());
    } finally {
      await social.close();
      cache.close();
    }
  });

  it('reads the sets of a manifest with an author block through a session on its PDS, cached apart; a wrong password leaves them unloaded', async () => {
    // Dave blocks carol: the AppView leaves carol out of any follows list dave reads, and only out of his.
    await agents.dave!.app.bsky.graph.block.create({ repo: did.dave! }, { subject: did.carol!, createdAt: new Date().toISOString() });
    await network.processAll();
    process.env.SKYSIFT_TEST_DAVE_PASSWORD = password('dave');
    process.env.SKYSIFT_TEST_WRONG_PASSWORD = 'not-daves-pw-Zx81';
    const dave = (env: string) => ({ handle: 'dave.test', password: { env }, service: network.pds.url });
    const asDave = await manifest('follows-as-dave', { social_graph: ['alice.test', 'in', 'follows'] }, dave('SKYSIFT_TEST_DAVE_PASSWORD'));
    const wrongPassword = await manifest('listed-wrong-password', { list_member: [listUri, 'in'] }, dave('SKYSIFT_TEST_WRONG_PASSWORD'));
    await registry().settled();
    // Same filter, two viewers: anonymous reads see carol among alice's follows, dave's session does not.
    // The wrong password's set never loads (its manifest stays undecided); everything else keeps working.
    assert.deepEqual(await verdicts([manifests[0]!, asDave, wrongPassword], ['carol']), { follows: { carol: true }, 'follows-as-dave': { carol: false }, 'listed-wrong-password': {} });
    const keys = db.prepare("SELECT key FROM social_sets WHERE key LIKE 'follows:alice.test%' ORDER BY key").pluck().all();
    assert.deepEqual(keys, ['follows:alice.test', 'follows:alice.test#viewer=dave.test']);
    assert.ok(logs.some((line) => line.includes('"level":50') && line.includes(`list:${listUri}#viewer=dave.test`) && /login as dave\.test at \S+ failed/.test(line)));
    const logged = logs.join('\n');
    assert.ok(!logged.includes(password('dave')) && !logged.includes('not-daves-pw-Zx81'), 'no password in the logs');

    // One session per author, reused; a session that is gone (logged out, refresh token expired) logs in again.
    const sessions = new AuthorSessions(1);
    const credentials = { identifier: 'dave.test', password: password('dave'), service: network.pds.url };
    const first = await sessions.appview(credentials);
    assert.equal(await sessions.appview(credentials), first);
    await first.agent.logout();
    const second = await sessions.appview(credentials);
    assert.notEqual(second, first);
    assert.equal(second.agent.session?.did, did.dave);
  });

  it('unwatches a set once no loaded manifest refers to it, after an edit or a removal', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-social-stages-'));
    const manifestsDir = path.join(dataDir, 'manifests');
    fs.mkdirSync(manifestsDir);
    const write = (value: string, filter: unknown) => fs.writeFileSync(path.join(manifestsDir, `${value}.json`), JSON.stringify({ label: { value }, filter }));
    write('listed', { list_member: [listUri, 'in'] });
    write('pack', { starter_pack_member: [starterPackUri, 'in'] });
    const stages = await openStages(loadConfig({ APPVIEW_URL: network.bsky.url, DATA_DIR: dataDir, MANIFESTS_DIR: manifestsDir }), createLogger('silent'));
    try {
      const social = stages.services.compile.get(MEMBERSHIP_WATCHER) as MembershipRegistry;
      await social.settled();
      const [listKey, packKey, bobKey] = [`list:${listUri}`, `starterpack:${starterPackUri}`, `accounts:${did.bob}`];
      assert.deepEqual(social.watched().sort(), [listKey, packKey].sort());
      assert.deepEqual([...social.snapshots().keys()].sort(), [listKey, packKey].sort());

      write('listed', { social_list: [[did.bob], 'in'] });
      fs.rmSync(path.join(manifestsDir, 'pack.json'));
      await stages.manifests.reload();
      await social.settled();
      assert.deepEqual(social.watched(), [bobKey]);
      assert.deepEqual([...social.snapshots().keys()], [bobKey]);
      // A broken edit keeps the last good version; what its failed compilation registered is let go.
      write('listed', { and: [{ list_member: [packListUri, 'in'] }, { no_such_operator: [] }] });
      await stages.manifests.reload();
      assert.deepEqual(social.watched(), [bobKey]);

      // Neither a refresh nor a live list-item event touches the dropped list any more (its cached row stays as it was).
      const cached = () => stages.db.prepare('SELECT key, members, fetched_at FROM social_sets ORDER BY key').all();
      const before = cached();
      await social.refresh(listKey);
      stages.services.observe([await createEvent(await createRecord('alice', 'app.bsky.graph.listitem', { subject: did.bob, list: listUri }))]);
      assert.deepEqual(cached(), before);
      const expiresAt = (key: string) => Date.parse(stages.db.prepare('SELECT expires_at FROM social_sets WHERE key = ?').pluck().get(key) as string);
      assert.ok(expiresAt(listKey) <= Date.now() && expiresAt(packKey) <= Date.now(), 'the copies nothing keeps current are stale');
      assert.ok(expiresAt(bobKey) > Date.now());
    } finally {
      await stages.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('keeps the last snapshot when the AppView stops, and a restart starts from the SQLite copy with the live changes since', async () => {
    const follows = manifests[0]!;
    await network.bsky.close();
    appViewStopped = true;
    await Promise.all([...registry().snapshots().keys()].map((key) => registry().refresh(key)));
    assert.ok(logs.some((line) => line.includes('keeping the last snapshot')));
    assert.deepEqual(await verdicts([follows], ['bob', 'carol']), { follows: { bob: false, carol: true } });

    // A follow and an unfollow seen live reach SQLite with their batch, so the restart below has them
    // although its Jetstream cursor has moved past these events and the AppView cannot be asked.
    services.observe([await createEvent((await agents.alice!.follow(did.dave!)).uri), await deleteEvent('alice', aliceFollowsCarol)]);
    assert.deepEqual(await verdicts([follows], ['bob', 'carol', 'dave']), { follows: { bob: false, carol: false, dave: true } });

    const restartLogs: string[] = [];
    const restartLogger = createLogger('info', { destination: { write: (line: string) => void restartLogs.push(line) } });
    const restarted = await openServices({ config: loadConfig({ APPVIEW_URL: network.bsky.url, DATA_DIR: dir }), logger: restartLogger, db });
    try {
      const { manifest } = await compileManifest('f.json', JSON.stringify({ label: { value: 'f' }, filter: { social_graph: ['alice.test', 'in', 'follows'] } }), { services: restarted.compile });
      const [bob, carol, dave] = await evaluateBatch([postBy('bob'), postBy('carol'), postBy('dave')], [manifest!], restarted.providers, restarted.memberships());
      assert.deepEqual([bob!.matched, carol!.matched, dave!.matched], [false, false, true]);
      await (restarted.compile.get(MEMBERSHIP_WATCHER) as MembershipRegistry).settled();
      assert.deepEqual(
        restartLogs.filter((line) => line.includes('membership set')),
        [],
        'no fetch was tried: the AppView is down and any call would have logged',
      );
    } finally {
      await restarted.close();
    }
  });
});
