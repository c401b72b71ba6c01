import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.ts';
import type { ConsolidatedPost } from '../src/consolidate/post.ts';
import { consolidateJetstreamEvent } from '../src/consolidate/jetstream.ts';
import { accountHolds, accountVerdict, DAY_MS, windowStart } from '../src/evaluate/account.ts';
import { decideBatch, isDecided, type Verdict } from '../src/evaluate/index.ts';
import { AccountLabels, deletedAccountVerdicts } from '../src/label/account-labels.ts';
import { labelerDeclaration } from '../src/label/declaration.ts';
import { compileManifest, type CompiledManifest } from '../src/manifests/load.ts';
import { seededRandom } from '../src/models/random.ts';
import { AccountWindowStore } from '../src/store/account-windows.ts';
import { openDatabase } from '../src/store/database.ts';
import { runCli } from './support/cli.ts';

const rule = { minPosts: 3, share: 0.5, windowDays: 7 };

async function manifest(body: object): Promise<CompiledManifest> {
  const { manifest, problems } = await compileManifest('m.json', JSON.stringify(body));
  assert.deepEqual(problems, []);
  return manifest!;
}

const political = () => manifest({ label: { value: 'mostly-apples' }, subject: 'account', aggregate: rule, filter: { regex_any: ['text', ['apple']] } });

function post(did: string, rkey: string, text: string, seenAt: number): ConsolidatedPost {
  const at = new Date(seenAt).toISOString();
  return { uri: `at://${did}/app.bsky.feed.post/${rkey}`, cid: `bafy${rkey}`, author: { did }, indexedAt: at, record: { text, createdAt: at }, source: { name: 'firehose', syncedAt: at } };
}

describe('account aggregation: the rule (pure)', () => {
  it('holds with at least minPosts posts and a share of at least `share`, both bounds inclusive', () => {
    assert.equal(accountHolds({ posts: 0, matched: 0 }, { ...rule, minPosts: 1 }), false, 'no posts: no share');
    assert.equal(accountHolds({ posts: 2, matched: 2 }, rule), false, 'too few posts, whatever the share');
    assert.equal(accountHolds({ posts: 3, matched: 2 }, rule), true);
    assert.equal(accountHolds({ posts: 4, matched: 2 }, rule), true, 'exactly the share');
    assert.equal(accountHolds({ posts: 5, matched: 2 }, rule), false);
    assert.equal(accountHolds({ posts: 10, matched: 7 }, { ...rule, share: 0.7 }), true, '7/10 against 0.7 does not lose to rounding');
    assert.equal(accountHolds({ posts: 3, matched: 3 }, { ...rule, share: 1 }), true);
  });

  it('the window ends now and reaches back windowDays', () => {
    assert.equal(windowStart(10 * DAY_MS, rule), 3 * DAY_MS);
    assert.equal(windowStart(DAY_MS, { windowDays: 0.5 }), DAY_MS / 2);
  });

  it('an account verdict is on the DID with no cid, and says the counts, share and window', () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    const v = accountVerdict('did:plc:a', { label: 'mostly-apples', manifestVersion: 'v1', rule }, { posts: 4, matched: 3 }, now);
    assert.equal(v.uri, 'did:plc:a');
    assert.equal(v.cid, null);
    assert.equal(v.matched, true);
    const inputs = v.explanation[0]!.inputs as Record<string, unknown>;
    assert.equal(inputs.reason, '3 of 4 posts seen in the last 7 days (since 2026-11-23T12:00:00.000Z) matched the filter (75%); needs at least 3 posts and 50%: holds');
    assert.deepEqual({ ...inputs, reason: undefined }, { reason: undefined, posts: 4, matched: 3, share: 0.75, minPosts: 3, minShare: 0.5, windowDays: 7, since: '2026-11-23T12:00:00.000Z' });
    const few = accountVerdict('did:plc:a', { label: 'x', manifestVersion: 'v1', rule }, { posts: 2, matched: 2 }, now);
    assert.match((few.explanation[0]!.inputs as { reason: string }).reason, /does not hold: fewer than 3 posts$/);
  });
});

describe('account aggregation: windows in SQLite', () => {
  it('follows a naive recount through 400 random creates, deletes, edits and days passing', async () => {
    const m = await political();
    const { db } = openDatabase(':memory:');
    let now = Date.parse('2026-11-01T00:00:00Z');
    const accounts = new AccountLabels(new AccountWindowStore(db), () => now);
    const random = seededRandom(18);
    const dids = ['did:plc:a', 'did:plc:b', 'did:plc:c'];
    const live = new Map<string, { did: string; seenAt: number; matched: boolean }>();
    const state = new Map<string, boolean>();
    const apply = (verdicts: Verdict[]) => {
      for (const v of verdicts) {
        assert.ok(isDecided(v));
        assert.equal(v.cid, null);
        state.set(v.uri, v.matched);
      }
    };
    let changes = 0;
    let rkey = 0;
    for (let step = 0; step < 400; step++) {
      const r = random();
      if (r < 0.55) {
        const did = dids[Math.floor(random() * dids.length)]!;
        const edit = random() < 0.15 && [...live].find(([, p]) => p.did === did);
        const text = random() < 0.5 ? 'an apple a day' : 'a pear';
        const uri = edit ? edit[0] : `at://${did}/app.bsky.feed.post/${rkey++}`;
        const seenAt = edit ? edit[1].seenAt : now;
        const p = post(did, uri.split('/').pop()!, text, seenAt);
        const decisions = await decideBatch([p], [m]);
        live.set(uri, { did, seenAt, matched: decisions.matched(0)! });
        apply(accounts.fromPosts(decisions, [p], [m], []));
      } else if (r < 0.8 && live.size) {
        const uris = [...live.keys()];
        const uri = uris[Math.floor(random() * uris.length)]!;
        live.delete(uri);
        apply(accounts.fromPosts(await decideBatch([], [m]), [], [m], [uri]));
      } else {
        now += Math.floor(random() * 3 * DAY_MS);
        apply(accounts.sweep([m]));
      }
      for (const did of dids) {
        const inWindow = [...live.values()].filter((p) => p.did === did && p.seenAt >= windowStart(now, rule));
        const expected = accountHolds({ posts: inWindow.length, matched: inWindow.filter((p) => p.matched).length }, rule);
        if ((state.get(did) ?? false) !== expected) assert.fail(`step ${step}: ${did} should ${expected ? '' : 'not '}be labelled`);
      }
      changes += Number([...state.values()].some(Boolean));
    }
    assert.ok(changes > 20 && changes < 380, `the label both held and lifted along the way (${changes} steps labelled)`);
    db.close();
  });

  it('a replayed post changes nothing; a deleted account loses its windows and its account labels', async () => {
    const m = await political();
    const profile = await manifest({ label: { value: 'fruit-bio' }, subject: 'account', filter: { regex_any: ['description', ['fruit']] } });
    const { db } = openDatabase(':memory:');
    const now = Date.now();
    const accounts = new AccountLabels(new AccountWindowStore(db), () => now);
    const posts = [0, 1, 2].map((i) => post('did:plc:a', `p${i}`, 'apple', now - i));
    const first = accounts.fromPosts(await decideBatch(posts, [m]), posts, [m], []);
    assert.deepEqual(
      first.map((v) => [v.uri, v.matched]),
      [['did:plc:a', true]],
    );
    const again = accounts.fromPosts(await decideBatch(posts, [m]), posts, [m], []);
    assert.deepEqual(
      again.map((v) => v.explanation[0]!.inputs),
      first.map((v) => v.explanation[0]!.inputs),
      'the same counts: a replay is not counted twice',
    );
    accounts.forgetAccounts(['did:plc:a'], [m, profile]);
    const gone = deletedAccountVerdicts(['did:plc:a'], [m, profile]);
    assert.deepEqual(
      gone.map((v) => [v.uri, v.label, v.matched]),
      [
        ['did:plc:a', 'mostly-apples', false],
        ['did:plc:a', 'fruit-bio', false],
      ],
    );
    assert.equal(db.prepare('SELECT count(*) FROM account_window_posts').pluck().get(), 0);
    db.close();
  });

  it("an old post is not counted; a removed manifest's rows are dropped by the sweep", async () => {
    const m = await political();
    const { db } = openDatabase(':memory:');
    const now = Date.now();
    const accounts = new AccountLabels(new AccountWindowStore(db), () => now);
    const old = [post('did:plc:a', 'old', 'apple', now - 8 * DAY_MS)];
    assert.deepEqual(accounts.fromPosts(await decideBatch(old, [m]), old, [m], []), []);
    const recent = [post('did:plc:a', 'new', 'apple', now)];
    accounts.fromPosts(await decideBatch(recent, [m]), recent, [m], []);
    assert.equal(db.prepare('SELECT count(*) FROM account_window_posts').pluck().get(), 1);
    assert.deepEqual(accounts.sweep([]), []);
    assert.equal(db.prepare('SELECT count(*) FROM account_window_posts').pluck().get(), 0);
    db.close();
  });
});

describe('account manifests: profiles and the declaration', () => {
  it('a profile commit becomes a document with displayName, description and text on the DID; a delete is an empty profile', () => {
    const commit = (operation: string, record?: object) => ({
      kind: 'commit',
      did: 'did:plc:a',
      time_us: 1_764_000_000_000_000,
      commit: { operation, collection: 'app.bsky.actor.profile', rkey: 'self', cid: 'bafyprofile', ...(record && { record }) },
    });
    const created = consolidateJetstreamEvent(commit('create', { $type: 'app.bsky.actor.profile', displayName: 'Ann', description: 'fruit grower' }));
    assert.equal(created.kind, 'profile');
    const profile = created.kind === 'profile' ? created.profile : undefined;
    assert.equal(profile!.uri, 'did:plc:a');
    assert.deepEqual([profile!.record.displayName, profile!.record.description, profile!.record.text], ['Ann', 'fruit grower', 'Ann\nfruit grower']);
    const deleted = consolidateJetstreamEvent({ ...commit('delete'), commit: { operation: 'delete', collection: 'app.bsky.actor.profile', rkey: 'self' } });
    assert.deepEqual(deleted.kind === 'profile' && [deleted.profile.record.text, deleted.profile.record.description], ['', '']);
    assert.equal(consolidateJetstreamEvent(commit('create', { displayName: 42 })).kind, 'malformed');
    assert.equal(consolidateJetstreamEvent({ ...commit('create', {}), commit: { ...commit('create', {}).commit, rkey: 'other' } }).kind, 'ignored');
  });

  it('declares account as a subject type when an account manifest is loaded', async () => {
    const policy = loadConfig({ LABELER_SUBJECT_TYPES: 'record' });
    const posts = await manifest({ label: { value: 'apples' }, filter: { regex_any: ['text', ['apple']] } });
    assert.deepEqual(labelerDeclaration([posts], policy).subjectTypes, ['record']);
    assert.deepEqual(labelerDeclaration([posts, await political()], policy).subjectTypes, ['account', 'record']);
  });
  it('a dry run decides profile manifests on profile events and the others on posts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-account-dry-'));
    try {
      fs.writeFileSync(path.join(dir, 'fruit-bio.json'), JSON.stringify({ label: { value: 'fruit-bio' }, subject: 'account', filter: { regex_any: ['description', ['fruit']] } }));
      fs.writeFileSync(path.join(dir, 'mostly-apples.json'), JSON.stringify({ label: { value: 'mostly-apples' }, subject: 'account', aggregate: rule, filter: { regex_any: ['text', ['apple']] } }));
      const time_us = 1_764_000_000_000_000;
      const events = [
        { kind: 'commit', did: 'did:plc:a', time_us, commit: { operation: 'create', collection: 'app.bsky.actor.profile', rkey: 'self', cid: 'bafyp', record: { description: 'Fruit grower' } } },
        {
          kind: 'commit',
          did: 'did:plc:a',
          time_us,
          commit: { operation: 'create', collection: 'app.bsky.feed.post', rkey: 'p1', cid: 'bafy1', record: { text: 'an apple', createdAt: '2025-11-24T00:00:00Z' } },
        },
      ];
      const input = path.join(dir, 'events.jsonl');
      fs.writeFileSync(input, events.map((e) => JSON.stringify(e)).join('\n'));
      const result = await runCli(['evaluate', dir, input, '--format', 'json'], { LOG_LEVEL: 'silent' });
      assert.equal(result.code, 0, result.stderr);
      const verdicts = result.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.deepEqual(
        verdicts.map((v) => [v.uri, v.label, v.matched]),
        [
          ['at://did:plc:a/app.bsky.feed.post/p1', 'mostly-apples', true],
          ['did:plc:a', 'fruit-bio', true],
        ],
      );
      assert.match(result.stderr, /^summary: 1 post\(s\), 1 profile\(s\)$/m);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
