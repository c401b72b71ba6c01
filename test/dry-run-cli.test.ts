import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ConsolidatedPost } from '../src/consolidate/post.ts';
import { setKey } from '../src/social/sets.ts';
import { SocialSetStore } from '../src/social/store.ts';
import { openDatabase } from '../src/store/database.ts';
import { PostStore } from '../src/store/posts.ts';
import { runCli } from './support/cli.ts';
import { fixture } from './support/fixtures.ts';

const ALICE = 'did:plc:alice';
const LIST = { type: 'list', repo: ALICE, rkey: '3kfriends' } as const;
const LIST_URI = `at://${ALICE}/app.bsky.graph.list/3kfriends`;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-dry-run-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, content: unknown): string {
  const file = path.join(tmp, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function post(n: number, did: string, text: string): ConsolidatedPost {
  return {
    uri: `at://${did}/app.bsky.feed.post/${n}`,
    cid: `bafy${n}`,
    author: { did },
    indexedAt: '2026-07-04T00:00:00.000Z',
    record: { text, createdAt: '2026-07-04T00:00:00.000Z' },
    source: { name: 'firehose', syncedAt: '2026-07-04T00:00:00.000Z' },
  };
}

const lines = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('skysift evaluate: readable dry runs', () => {
  const capture = fixture('jetstream/expected_v1.jsonl');
  const dir = path.join(tmp, 'manifests');
  before(() => {
    write('manifests/everything.json', { label: { value: 'everything' }, filter: { attribute_compare: ['createdAt', '!=', null] } });
    write('manifests/apple.json', { label: { value: 'apple' }, filter: { or: [{ regex_any: ['text', ['the', 'a']] }] } });
    write('manifests/nothing.json', { label: { value: 'nothing' }, filter: { regex_any: ['text', ['zzzqqq']] } });
  });

  it('--matches-only prints matched verdicts only; the summary counts posts, matches, rate and undecided per manifest, and warns of a manifest matching nearly every post', async () => {
    const all = await runCli(['evaluate', dir, capture]);
    assert.equal(all.code, 0, all.stderr);
    const verdicts = lines(all.stdout);
    const only = await runCli(['evaluate', dir, capture, '--matches-only']);
    assert.deepEqual(
      lines(only.stdout),
      verdicts.filter((v) => v.matched === true),
    );
    const posts = verdicts.length / 3;
    const count = (label: string) => verdicts.filter((v) => v.label === label && v.matched).length;
    assert.equal(count('everything'), posts);
    assert.match(only.stderr, new RegExp(`^summary: ${posts} post\\(s\\)$`, 'm'));
    assert.match(only.stderr, /^ {2}manifest {4}matched {4}rate {2}undecided$/m);
    assert.match(only.stderr, new RegExp(`^ {2}everything +${posts} +100\\.0% +0$`, 'm'));
    assert.match(only.stderr, new RegExp(`^ {2}apple +${count('apple')} +[\\d.]+% +0$`, 'm'));
    assert.match(only.stderr, /^ {2}nothing +0 +0\.0% +0$/m);
    assert.match(only.stderr, new RegExp(`^warning: "everything" matched ${posts} of ${posts} posts \\(100\\.0%\\): nearly every post; is its filter broader than you meant\\?$`, 'm'));
    assert.doesNotMatch(only.stderr, /warning: "nothing"/);
  });

  it('--format human shows each post with its text, a line per manifest and, under a match, the conditions in the order they ran, with the matched span', async () => {
    const input = write('human.jsonl', [post(1, 'did:plc:p1', 'I ate an apple today'), post(2, 'did:plc:p2', 'zzz')].map((p) => JSON.stringify(p)).join('\n'));
    write('apples/apple.json', { label: { value: 'apple' }, filter: { and: [{ regex_any: ['text', ['apple']] }, { not: { regex_matches: ['text', 'pear'] } }] } });
    const result = await runCli(['evaluate', path.join(tmp, 'apples'), input, '--format', 'human']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      [
        'at://did:plc:p1/app.bsky.feed.post/1  "I ate an apple today"',
        '  ✓ apple  matched',
        '      filter.and: true',
        '        filter.and[1].not: true',
        '          filter.and[1].not.regex_matches: false (saw "I ate an apple today")',
        '        filter.and[0].regex_any: true (matched "apple" at 9–14 of "I ate an apple today")',
        '',
        'at://did:plc:p2/app.bsky.feed.post/2  "zzz"',
        '  · apple  no match',
        '',
        '',
      ].join('\n'),
    );
    const matchesOnly = await runCli(['evaluate', path.join(tmp, 'apples'), input, '--format', 'human', '--matches-only']);
    assert.doesNotMatch(matchesOnly.stdout, /did:plc:p2/);
    const bad = await runCli(['evaluate', path.join(tmp, 'apples'), input, '--format', 'xml']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--format is json or human, not "xml"/);
  });
  it('skips records without text or createdAt, saying so per line, and evaluates an empty text', async () => {
    const event = (rkey: string, record: object) => ({
      did: 'did:plc:x',
      time_us: 1,
      kind: 'commit',
      commit: { rev: 'r', operation: 'create', collection: 'app.bsky.feed.post', rkey, cid: 'bafy', record: { $type: 'app.bsky.feed.post', ...record } },
    });
    const input = write(
      'incomplete.jsonl',
      [event('a', { createdAt: '2026-07-04T00:00:00Z' }), event('b', { text: 'no date' }), event('c', { text: '', createdAt: '2026-07-04T00:00:00Z' })].map((e) => JSON.stringify(e)).join('\n'),
    );
    const result = await runCli(['evaluate', path.join(dir, 'everything.json'), input]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /incomplete\.jsonl:1: skipped: invalid post record: record\.text: /);
    assert.match(result.stderr, /incomplete\.jsonl:2: skipped: invalid post record: record\.createdAt: /);
    assert.deepEqual(
      lines(result.stdout).map((v) => v.uri),
      ['at://did:plc:x/app.bsky.feed.post/c'],
    );
  });
});

describe('skysift evaluate: membership sets in a dry run', () => {
  // The public AppView cannot be reached from tests: this loopback server answers getList and
  // resolveHandle in the XRPC wire format.
  let server: http.Server;
  let appview: string;
  const requests: string[] = [];
  const input = () => write('social.jsonl', [post(1, 'did:plc:member1', 'listed'), post(2, 'did:plc:carol', 'named'), post(3, 'did:plc:stranger', 'nobody')].map((p) => JSON.stringify(p)).join('\n'));
  before(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      requests.push(url.pathname);
      res.setHeader('content-type', 'application/json');
      if (url.pathname === '/xrpc/app.bsky.graph.getList') {
        const list = {
          uri: LIST_URI,
          cid: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm',
          name: 'friends',
          purpose: 'app.bsky.graph.defs#curatelist',
          indexedAt: new Date().toISOString(),
          creator: { did: ALICE, handle: 'alice.test' },
        };
        return res.end(JSON.stringify({ list, items: [{ uri: `at://${ALICE}/app.bsky.graph.listitem/i1`, subject: { did: 'did:plc:member1', handle: 'member1.test' } }] }));
      }
      if (url.pathname === '/xrpc/com.atproto.identity.resolveHandle') {
        if (url.searchParams.get('handle') === 'author.test') return res.end(JSON.stringify({ did: 'did:plc:p1' }));
        res.writeHead(400);
        return res.end(JSON.stringify({ error: 'InvalidRequest', message: 'Unable to resolve handle' }));
      }
      res.writeHead(501);
      res.end(JSON.stringify({ error: 'MethodNotImplemented', message: url.pathname }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    appview = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    write('social/listed.json', { label: { value: 'listed' }, filter: { list_member: [`https://bsky.app/profile/${ALICE}/lists/3kfriends`, 'in'] } });
    write('social/named.json', { label: { value: 'named' }, filter: { social_list: [['did:plc:carol', 'did:plc:dave'], 'in'] } });
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  const verdicts = (stdout: string) => Object.fromEntries(lines(stdout).map((v) => [`${v.label}:${v.uri.split('/')[2]}`, v.matched]));

  it('decides a social_list of DIDs with no network, and says when a set could not load (--offline): its conditions are undecided', async () => {
    requests.length = 0;
    const result = await runCli(['evaluate', path.join(tmp, 'social'), input(), '--offline'], { APPVIEW_URL: appview, DATA_DIR: path.join(tmp, 'no-data') });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(requests, [], 'no request with --offline');
    assert.match(result.stderr, /^membership set accounts:did:plc:carol,did:plc:dave: 2 member\(s\), the DIDs written in the manifest$/m);
    assert.match(
      result.stderr,
      new RegExp(`^membership set list:${LIST_URI}: NOT LOADED \\(not in the cache, and --offline forbids fetching it\\): conditions on this set are undecided in this run$`, 'm'),
    );
    const v = verdicts(result.stdout);
    assert.deepEqual([v['named:did:plc:carol'], v['named:did:plc:stranger'], v['listed:did:plc:member1']], [true, false, null]);
    assert.match(result.stderr, /^ {2}listed +0 +0\.0% +3$/m, 'the summary counts the undecided verdicts');
  });

  it('loads a set from the service cache in DATA_DIR, read-only', async () => {
    const dataDir = path.join(tmp, 'cached');
    const { db } = openDatabase(path.join(dataDir, 'skysift.sqlite'));
    new SocialSetStore(db).put(setKey(LIST), { members: ['did:plc:member1'], records: [], source: LIST_URI }, Date.now(), Date.now() + 60_000);
    db.close();
    requests.length = 0;
    const result = await runCli(['evaluate', path.join(tmp, 'social'), input(), '--offline'], { APPVIEW_URL: appview, DATA_DIR: dataDir });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`^membership set list:${LIST_URI}: 1 member\\(s\\) from the cache in ${dataDir}$`, 'm'));
    assert.deepEqual([verdicts(result.stdout)['listed:did:plc:member1'], verdicts(result.stdout)['listed:did:plc:stranger']], [true, false]);
  });

  it('fetches a set from the AppView when allowed', async () => {
    requests.length = 0;
    const result = await runCli(['evaluate', path.join(tmp, 'social'), input()], { APPVIEW_URL: appview, DATA_DIR: path.join(tmp, 'no-data-either') });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(requests, ['/xrpc/app.bsky.graph.getList']);
    assert.match(result.stderr, new RegExp(`^membership set list:${LIST_URI}: 1 member\\(s\\) fetched from ${appview}$`, 'm'));
    assert.equal(verdicts(result.stdout)['listed:did:plc:member1'], true);
  });

  describe('skysift explain', () => {
    const dataDir = path.join(tmp, 'explained');
    before(async () => {
      write('explained/apple.json', { label: { value: 'apple' }, filter: { regex_any: ['text', ['apple']] } });
      // Posts 1 and 2 go through the real pipeline (consolidate → store → evaluate → label): post 1 is labelled.
      const events = [post(1, 'did:plc:p1', 'I ate an apple today'), post(2, 'did:plc:p2', 'no fruit here')].map((p) => ({
        did: p.author.did,
        time_us: 1,
        kind: 'commit',
        commit: { rev: 'r', operation: 'create', collection: 'app.bsky.feed.post', rkey: p.uri.split('/').at(-1), cid: p.cid, record: { $type: 'app.bsky.feed.post', ...p.record } },
      }));
      const replay = await runCli(['replay', write('explained.jsonl', events.map((e) => JSON.stringify(e)).join('\n'))], { DATA_DIR: dataDir, MANIFESTS_DIR: path.join(tmp, 'explained') });
      assert.equal(replay.code, 0, replay.stderr);
      const { db } = openDatabase(path.join(dataDir, 'skysift.sqlite'));
      new PostStore(db).recordHandle('did:plc:p2', 'known.test', 1);
      db.close();
    });

    it('takes a bsky.app post URL, prints the post text and why it is labelled', async () => {
      const result = await runCli(['explain', 'https://bsky.app/profile/did:plc:p1/post/1'], { DATA_DIR: dataDir });
      assert.equal(result.code, 0, result.stderr);
      const out = result.stdout.split('\n');
      assert.equal(out[0], 'at://did:plc:p1/app.bsky.feed.post/1');
      assert.equal(out[1], '  text: "I ate an apple today"');
      assert.match(out[2]!, /^apple: applied at \S+ \(manifest version [0-9a-f]{16}\)$/);
      assert.equal(out[3], '  filter.regex_any: true (matched "apple" at 9–14 of "I ate an apple today")');
    });

    it('says "evaluated, not labelled" for a post it saw that matched nothing (a handle URL resolved from recorded identities)', async () => {
      const result = await runCli(['explain', 'https://bsky.app/profile/known.test/post/2'], { DATA_DIR: dataDir });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^at:\/\/did:plc:p2\/app\.bsky\.feed\.post\/2\n {2}text: "no fruit here"\nevaluated, not labelled: no manifest loaded when it was last seen \(\S+\) matched it\n$/);
      const json = JSON.parse((await runCli(['explain', 'at://did:plc:p2/app.bsky.feed.post/2', '--json'], { DATA_DIR: dataDir })).stdout);
      assert.deepEqual(json, { uri: 'at://did:plc:p2/app.bsky.feed.post/2', status: 'evaluated, not labelled', text: 'no fruit here', labels: [] });
    });

    it('says "never seen" apart, resolving an unknown handle through the AppView, and reports a handle it cannot resolve in one line', async () => {
      const result = await runCli(['explain', 'https://bsky.app/profile/author.test/post/9'], { DATA_DIR: dataDir, APPVIEW_URL: appview });
      assert.equal(result.code, 1);
      assert.equal(result.stdout, 'at://did:plc:p1/app.bsky.feed.post/9\n');
      assert.match(result.stderr, /^never seen: at:\/\/did:plc:p1\/app\.bsky\.feed\.post\/9 is not among the posts in .* \(never ingested, or pruned after POST_RETENTION_DAYS=7\)\n$/);
      const unresolved = await runCli(['explain', 'https://bsky.app/profile/nobody.test/post/9'], { DATA_DIR: dataDir, APPVIEW_URL: appview });
      assert.equal(unresolved.code, 1);
      assert.match(unresolved.stderr, /^skysift explain: cannot resolve the handle nobody\.test \(Unable to resolve handle\): give the post's at:\/\/ URI, or the URL with the author's DID\n$/);
      const notAUrl = await runCli(['explain', 'https://example.com/x'], { DATA_DIR: dataDir });
      assert.equal(notAUrl.code, 2);
      assert.match(notAUrl.stderr, /expected an at:\/\/ URI or a post URL/);
    });
  });
});
