import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseGraphEvent } from '../src/consolidate/graph.ts';
import { CompileServices, provide } from '../src/core/services.ts';
import { createLogger } from '../src/log.ts';
import { compileManifest } from '../src/manifests/load.ts';
import { operators } from '../src/operators/index.ts';
import { AppView } from '../src/social/appview.ts';
import { createLimit } from '../src/concurrency.ts';
import { MEMBERSHIP_WATCHER, MembershipRegistry } from '../src/social/registry.ts';
import { SocialSetStore } from '../src/social/store.ts';
import { openDatabase } from '../src/store/database.ts';
import type { Credentials } from '../src/core/credentials.ts';

const ALICE = 'did:plc:alice';
const LIST = `at://${ALICE}/app.bsky.graph.list/3kfriends`;

describe('graph events from Jetstream', () => {
  const commit = (collection: string, operation: string, record?: unknown) => ({
    kind: 'commit',
    did: ALICE,
    time_us: 1,
    commit: { operation, collection, rkey: '3kabc', ...(operation !== 'delete' && { cid: 'bafy', record }) },
  });

  it('parses follow and list-item creates and deletes, and ignores everything else', () => {
    assert.deepEqual(parseGraphEvent(commit('app.bsky.graph.follow', 'create', { $type: 'app.bsky.graph.follow', subject: 'did:plc:bob', createdAt: 'x' })), {
      kind: 'follow',
      operation: 'create',
      did: ALICE,
      rkey: '3kabc',
      subject: 'did:plc:bob',
    });
    assert.deepEqual(parseGraphEvent(commit('app.bsky.graph.listitem', 'create', { subject: 'did:plc:bob', list: LIST })), {
      kind: 'listitem',
      operation: 'create',
      did: ALICE,
      rkey: '3kabc',
      subject: 'did:plc:bob',
      list: LIST,
    });
    assert.deepEqual(parseGraphEvent(commit('app.bsky.graph.listitem', 'delete')), { kind: 'listitem', operation: 'delete', did: ALICE, rkey: '3kabc' });
    assert.equal(parseGraphEvent(commit('app.bsky.graph.follow', 'create', { subject: 'bob.test' })), undefined, 'a follow subject must be a DID');
    assert.equal(parseGraphEvent(commit('app.bsky.feed.post', 'create', { text: 'hi' })), undefined);
    assert.equal(parseGraphEvent({ kind: 'identity', did: ALICE }), undefined);
    assert.equal(parseGraphEvent(commit('constructor', 'create', { subject: 'did:plc:bob' })), undefined, 'a collection named like an Object property is no graph collection');
    assert.equal(parseGraphEvent({ ...commit('app.bsky.graph.follow', 'delete'), did: 'bob.test' }), undefined, 'a graph event is validated in full');
    assert.equal(parseGraphEvent(null), undefined);
  });
});

describe('social operators at compile time', () => {
  const registry = new MembershipRegistry({ appview: new AppView({ service: 'http://127.0.0.1:9', concurrency: 1 }), ttlMs: 1000, logger: createLogger('silent') });
  const compile = (filter: unknown, services = new CompileServices([provide(MEMBERSHIP_WATCHER, registry)])) =>
    compileManifest('m.json', JSON.stringify({ label: { value: 'x' }, filter }), { services });

  it('registers one set per distinct reference; URL and at-uri of the same list are one set', async () => {
    for (const filter of [
      { social_graph: ['Alice.Test', 'in', 'follows'] },
      { user_network: ['@alice.test', 'is_not_in', 'follows'] },
      { list_member: ['https://bsky.app/profile/did:plc:alice/lists/3kfriends', 'in'] },
      { list_member: [LIST, 'not_in'] },
      { starter_pack_member: ['https://bsky.app/starter-pack/alice.test/3kpack', 'in'] },
      { social_list: [['bob.test', 'did:plc:carol', 'bob.test'], 'in'] },
    ]) {
      assert.deepEqual((await compile(filter)).problems, [], JSON.stringify(filter));
    }
    assert.deepEqual(registry.watched().sort(), ['accounts:bob.test,did:plc:carol', 'follows:alice.test', `list:${LIST}`, 'starterpack:at://alice.test/app.bsky.graph.starterpack/3kpack']);
  });

  it('rejects bad references, comparators and directions at their JSON path', async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ list_member: ['https://bsky.app/profile/alice.test/feed/3k', 'in'] }, 'filter.list_member[0]', /expected a list as https:\/\/bsky.app\/profile/],
      [{ starter_pack_member: [LIST, 'in'] }, 'filter.starter_pack_member[0]', /expected a starter pack/],
      [{ social_graph: ['alice.test', '==', 'follows'] }, 'filter.social_graph[1]', /unknown comparator "==": use in or not_in/],
      [{ social_graph: ['alice.test', 'in', 'friends'] }, 'filter.social_graph[2]', /invalid option/i],
      [{ social_graph: ['not a handle', 'in', 'follows'] }, 'filter.social_graph[0]', /expected a DID or a handle/],
      [{ social_list: [[], 'in'] }, 'filter.social_list[0]', /too small|>=1/i],
    ];
    for (const [filter, path, message] of cases) {
      const { problems } = await compile(filter);
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.equal(problems[0]!.path, path);
      assert.match(problems[0]!.message, message);
    }
    const { problems } = await compile({ social_list: [['did:plc:bob'], 'in'] }, new CompileServices());
    assert.match(problems[0]!.message, /membership service/);
  });

  it("reads an author's password from the variable or file it names, or rejects the manifest naming the source, never the value", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-author-'));
    const loggedIn: Credentials[] = [];
    const sessions = {
      appview: async (author: Credentials) => {
        loggedIn.push(author);
        throw new Error('offline');
      },
    };
    const social = new MembershipRegistry({ appview: new AppView({ service: 'http://127.0.0.1:9', concurrency: 1 }), sessions, ttlMs: 1000, logger: createLogger('silent') });
    const compileAs = (author: unknown) =>
      compileManifest(path.join(dir, 'm.json'), JSON.stringify({ label: { value: 'x' }, filter: { social_graph: ['alice.test', 'in', 'follows'] }, author }), {
        services: new CompileServices([provide(MEMBERSHIP_WATCHER, social)]),
      });
    try {
      delete process.env.SKYSIFT_TEST_UNSET_PASSWORD;
      const cases: [unknown, string, string | RegExp][] = [
        [{ handle: 'me.test', password: { env: 'SKYSIFT_TEST_UNSET_PASSWORD' } }, 'author.password', 'environment variable SKYSIFT_TEST_UNSET_PASSWORD is not set'],
        [{ handle: 'me.test', password: { file: 'missing.txt' } }, 'author.password', `password file ${path.join(dir, 'missing.txt')} cannot be read (ENOENT)`],
        [{ handle: 'me.test', password: 'inline-secret' }, 'author.password', /^plaintext password/],
        [{ password: { env: 'HOME' } }, 'author.handle', /expected string|invalid/i],
        [{ handle: 'me.test', password: { env: 'HOME' }, pasword: { env: 'HOME' } }, 'author', /unknown key "pasword" \(did you mean "password"\?\)/],
        [{ handle: 'me.test', password: { env: 'HOME' }, service: 'ftp://pds.example' }, 'author.service', /url/i],
      ];
      for (const [author, at, message] of cases) {
        const { problems } = await compileAs(author);
        assert.deepEqual(
          problems.map((p) => p.path),
          [at],
          JSON.stringify(author),
        );
        if (typeof message === 'string') assert.equal(problems[0]!.message, message);
        else assert.match(problems[0]!.message, message);
        assert.ok(!problems[0]!.message.includes('inline-secret'));
      }
      // A rejected manifest's filter may still register sets (the service drops them after the reload); none as a viewer.
      assert.deepEqual(social.watched(), ['follows:alice.test']);

      fs.writeFileSync(path.join(dir, 'secret.txt'), 'file-secret-Qp3\n');
      assert.deepEqual((await compileAs({ handle: '@Me.Test', password: { file: 'secret.txt' }, service: 'http://127.0.0.1:9' })).problems, []);
      assert.deepEqual(social.watched(), ['follows:alice.test', 'follows:alice.test#viewer=me.test']);
      social.start();
      await social.settled();
      assert.deepEqual(loggedIn, [{ identifier: 'me.test', password: 'file-secret-Qp3', service: 'http://127.0.0.1:9' }]);
    } finally {
      await social.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('declares the Jetstream collections that keep the sets current', () => {
    assert.deepEqual(operators.get('user_network')!.collections, ['app.bsky.graph.follow']);
    assert.deepEqual(operators.get('list_member')!.collections, ['app.bsky.graph.listitem']);
    assert.deepEqual(operators.get('starter_pack_member')!.collections, ['app.bsky.graph.listitem']);
    assert.equal(operators.get('social_list')!.collections, undefined);
  });
});

describe('live graph events on a cached set', () => {
  const item = (rkey: string, subject?: string) => ({
    kind: 'commit',
    did: ALICE,
    time_us: 1,
    commit: { operation: subject ? 'create' : 'delete', collection: 'app.bsky.graph.listitem', rkey, ...(subject && { cid: 'bafy', record: { subject, list: LIST } }) },
  });

  it('counts the items behind each member, and records each batch of changes in SQLite until the next fetch', async () => {
    const db = openDatabase(':memory:').db;
    const store = new SocialSetStore(db);
    const key = `list:${LIST}`;
    const fetchedAt = Date.now();
    store.put(key, { members: ['did:plc:bob'], records: [[`${ALICE}/item1`, 'did:plc:bob']], source: LIST }, fetchedAt, fetchedAt + 60_000);
    // A fresh cached copy: nothing is fetched (the AppView address is closed), events apply to the copy.
    const registry = new MembershipRegistry({ appview: new AppView({ service: 'http://127.0.0.1:9', concurrency: 1 }), store, ttlMs: 60_000, logger: createLogger('silent') });
    try {
      registry.watch({ type: 'list', repo: ALICE, rkey: '3kfriends' }, { manifest: { file: 'm.json', version: '1' } });
      registry.start();
      const members = () => [...registry.snapshots().get(key)!].sort();
      const stored = () => store.get(key)!;

      registry.observe([item('item2', 'did:plc:bob'), item('item3', 'did:plc:carol'), item('item1')]);
      assert.deepEqual(members(), ['did:plc:bob', 'did:plc:carol'], 'bob stays: item2 still lists him');
      assert.deepEqual([...stored().set.members].sort(), ['did:plc:bob', 'did:plc:carol']);
      assert.deepEqual(
        [...stored().set.records],
        [
          [`${ALICE}/item2`, 'did:plc:bob'],
          [`${ALICE}/item3`, 'did:plc:carol'],
        ],
      );
      assert.equal(stored().expiresAt, fetchedAt + 60_000, 'a live change does not make the set fresher');

      registry.observe([item('item2'), item('item2'), item('item3', 'did:plc:carol')]);
      assert.deepEqual(members(), ['did:plc:carol'], 'bob leaves with his last item; repeated events change nothing');
      assert.deepEqual([...stored().set.members], ['did:plc:carol']);

      // A fetch replaces the copy and the changes recorded against the old one.
      store.put(key, { members: ['did:plc:dave'], records: [[`${ALICE}/item9`, 'did:plc:dave']], source: LIST }, fetchedAt, fetchedAt + 60_000);
      assert.deepEqual([...stored().set.members], ['did:plc:dave']);
    } finally {
      await registry.close();
      db.close();
    }
  });
});

describe('AppView client', () => {
  // The public AppView's rate limiting cannot run here: this loopback server answers getList in
  // the XRPC wire format, with a 429 and `ratelimit-reset` first, then two pages.
  let server: http.Server;
  let service: string;
  const requests: string[] = [];
  let limited = false;
  before(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      requests.push(`${url.pathname}?${url.searchParams.get('cursor') ?? ''}`);
      res.setHeader('content-type', 'application/json');
      if (!limited) {
        limited = true;
        res.writeHead(429, { 'ratelimit-reset': String(Math.ceil(Date.now() / 1000)), 'ratelimit-remaining': '0' });
        return res.end(JSON.stringify({ error: 'RateLimitExceeded', message: 'Rate Limit Exceeded' }));
      }
      const page = url.searchParams.get('cursor') === 'page2' ? 2 : 1;
      const item = (n: number) => ({
        uri: `at://${ALICE}/app.bsky.graph.listitem/item${n}`,
        subject: { did: `did:plc:member${n}`, handle: `member${n}.test` },
      });
      const list = {
        uri: LIST,
        cid: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm',
        name: 'friends',
        purpose: 'app.bsky.graph.defs#curatelist',
        indexedAt: new Date().toISOString(),
        creator: { did: ALICE, handle: 'alice.test' },
      };
      res.end(JSON.stringify(page === 1 ? { list, items: [item(1), item(2)], cursor: 'page2' } : { list, items: [item(3)] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    service = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it('waits out a 429 until ratelimit-reset, then reads every page with the records behind the members', async () => {
    const set = await new AppView({ service, concurrency: 2 }).fetch({ type: 'list', repo: ALICE, rkey: '3kfriends' });
    assert.deepEqual(requests, ['/xrpc/app.bsky.graph.getList?', '/xrpc/app.bsky.graph.getList?', '/xrpc/app.bsky.graph.getList?page2']);
    assert.deepEqual(set, {
      members: ['did:plc:member1', 'did:plc:member2', 'did:plc:member3'],
      records: [1, 2, 3].map((n) => [`${ALICE}/item${n}`, `did:plc:member${n}`]),
      source: LIST,
    });
  });

  it('gives up on a 429 whose reset is further away than it may wait', async () => {
    limited = false;
    requests.length = 0;
    const appview = new AppView({ service, concurrency: 1, maxBackoffMs: 0 });
    await assert.rejects(appview.fetch({ type: 'list', repo: ALICE, rkey: '3kfriends' }), /Rate Limit Exceeded/);
    assert.equal(requests.length, 1);
  });
});

describe('createLimit', () => {
  it('never runs more than the limit at once and runs every task', async () => {
    const limit = createLimit(3);
    let active = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limit(async () => {
          peak = Math.max(peak, ++active);
          await new Promise((resolve) => setTimeout(resolve, i % 3));
          active--;
          return i;
        }),
      ),
    );
    assert.equal(peak, 3);
    assert.deepEqual(
      results,
      Array.from({ length: 20 }, (_, i) => i),
    );
  });
});
