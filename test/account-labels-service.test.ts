import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { DAY_MS } from '../src/evaluate/account.ts';
import { startService, type Service } from '../src/service.ts';
import { runCli } from './support/cli.ts';
import { JetstreamReplayServer } from './support/jetstream-server.ts';
import { LabelSubscriber, queryAllLabels, verifyLabel, type WireLabel } from './support/label-verifier.ts';
import { until } from './support/until.ts';

const ALICE = 'did:plc:alice';
const BOB = 'did:plc:bob';
const CAROL = 'did:plc:carol';
const DAVE = 'did:plc:dave';

/** Events in the shape Jetstream sends them, one millisecond apart, starting a minute ago. */
function stream() {
  let t = (Date.now() - 60_000) * 1000;
  const events: object[] = [];
  const commit = (did: string, collection: string, operation: string, rkey: string, record?: object) =>
    events.push({ kind: 'commit', did, time_us: (t += 1000), commit: { rev: String(t), operation, collection, rkey, ...(record && { cid: `bafy${rkey}${t}`, record }) } });
  const post = (did: string, rkey: string, text: string) => commit(did, 'app.bsky.feed.post', 'create', rkey, { $type: 'app.bsky.feed.post', text, createdAt: new Date(t / 1000).toISOString() });
  const profile = (did: string, operation: string, description: string) =>
    commit(did, 'app.bsky.actor.profile', operation, 'self', { $type: 'app.bsky.actor.profile', displayName: did.slice(8), description });
  // Phase 1: alice posts 3 of 3 about apples and calls herself a fruit grower; bob 2 apples (too few); carol 3 apples (negated by hand before).
  ['a1', 'a2', 'a3'].forEach((rkey) => post(ALICE, rkey, 'an apple a day'));
  profile(ALICE, 'create', 'Fruit grower in Kent');
  ['b1', 'b2'].forEach((rkey) => post(BOB, rkey, 'apple pie'));
  ['c1', 'c2', 'c3'].forEach((rkey) => post(CAROL, rkey, 'apples again'));
  const phase1 = events.length;
  // Phase 2: alice deletes an apple post and posts two about pears (2 of 4 = 50% < 60%); her bio no longer says fruit.
  commit(ALICE, 'app.bsky.feed.post', 'delete', 'a1');
  post(ALICE, 'a4', 'pears are fine');
  post(ALICE, 'a5', 'pears again');
  profile(ALICE, 'update', 'Retired');
  const phase2 = events.length;
  // Phase 3, after a restart: alice posts two more apple posts (4 of 6); bob's third apple post (his first two were seen before the restart).
  post(ALICE, 'a6', 'apple crumble');
  post(ALICE, 'a7', 'apple juice');
  post(BOB, 'b3', 'apple tart');
  ['d1', 'd2', 'd3'].forEach((rkey) => post(DAVE, rkey, 'apple orchard'));
  const phase3 = events.length;
  // Phase 4: dave deletes his account.
  events.push({ kind: 'account', did: DAVE, time_us: (t += 1000), account: { did: DAVE, active: false, status: 'deleted', seq: 1, time: new Date(t / 1000).toISOString() } });
  return { events, phase1, phase2, phase3 };
}

const manifests = {
  'mostly-apples.json': {
    label: { value: 'mostly-apples', locales: [{ lang: 'en', name: 'Mostly apples', description: 'Most recent posts are about apples.' }] },
    subject: 'account',
    aggregate: { minPosts: 3, share: 0.6, windowDays: 7 },
    filter: { regex_any: ['text', ['apple', 'apples']] },
  },
  'fruit-bio.json': { label: { value: 'fruit-bio' }, subject: 'account', filter: { regex_any: ['description', ['fruit']] } },
};

const active = (labels: readonly WireLabel[]) => {
  const state = new Map<string, boolean>();
  for (const l of labels) state.set(`${l.uri} ${l.val}`, !l.neg);
  return [...state]
    .filter(([, on]) => on)
    .map(([key]) => key)
    .sort();
};

describe('account labels from manifests, end to end: loopback Jetstream → windows and profiles → signed labels on the DID', () => {
  let server: JetstreamReplayServer;
  let dataDir: string;
  let manifestsDir: string;
  let offset = 0;
  const now = () => Date.now() + offset;
  const { events, phase1, phase2, phase3 } = stream();

  before(async () => {
    server = await JetstreamReplayServer.serveEvents(events as never);
    server.holdAfter = phase1;
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-accounts-'));
    manifestsDir = path.join(dataDir, 'manifests');
    fs.mkdirSync(manifestsDir);
    for (const [file, body] of Object.entries(manifests)) fs.writeFileSync(path.join(manifestsDir, file), JSON.stringify(body));
  });
  after(async () => {
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const env = () => ({ DATA_DIR: dataDir, MANIFESTS_DIR: manifestsDir });
  const start = () => startService(loadConfig({ ...env(), LABELER_PORT: '0', JETSTREAM_URL: server.url }), pino({ level: process.env.TEST_LOG ?? 'silent' }), { now });
  const urlOf = (service: Service) => `http://127.0.0.1:${new URL(service.address).port}`;

  it('applies and lifts as posts and profiles come and go, an override wins, and a restart neither duplicates nor loses a label', async () => {
    const negated = await runCli(['label', 'negate', CAROL, 'mostly-apples', '--reason', 'grows apples, not a topic account', '--by', 'mod-ann'], env());
    assert.equal(negated.code, 0, negated.stderr);

    let service = await start();
    let subscriber = new LabelSubscriber(urlOf(service), 0);
    try {
      await subscriber.waitFor(2, 20_000);
      await until(() => service.source.cursor >= (events[phase1 - 1] as { time_us: number }).time_us);
      assert.deepEqual(server.connections[0]!.wantedCollections, ['app.bsky.actor.profile', 'app.bsky.feed.post']);
      assert.deepEqual(active(subscriber.labels), [`${ALICE} fruit-bio`, `${ALICE} mostly-apples`], 'bob has too few posts; carol is negated by hand');
      for (const label of subscriber.labels) {
        assert.ok(await verifyLabel(label), 'signed by the labeler');
        assert.equal(label.cid, undefined, 'an account label carries no cid');
      }
      const queried = await queryAllLabels(urlOf(service), [ALICE]);
      assert.deepEqual(queried.map((l) => `${l.uri} ${l.val} ${l.neg ?? false}`).sort(), [`${ALICE} fruit-bio false`, `${ALICE} mostly-apples false`]);

      server.holdAfter = phase2;
      await subscriber.waitFor(4, 20_000);
      await until(() => service.source.cursor >= (events[phase2 - 1] as { time_us: number }).time_us);
      assert.deepEqual(active(subscriber.labels), [], 'alice: 2 of 4 posts match, below 60%; her profile no longer says fruit');
      assert.deepEqual(
        subscriber.labels
          .slice(2)
          .map((l) => [l.uri, l.val, l.neg])
          .sort(),
        [
          [ALICE, 'fruit-bio', true],
          [ALICE, 'mostly-apples', true],
        ],
      );
    } finally {
      subscriber.close();
      await service.stop();
    }

    service = await start();
    subscriber = new LabelSubscriber(urlOf(service), 0);
    try {
      // The stream resumes a few seconds before the cursor: every event above is replayed, and must emit nothing.
      await until(() => server.connections.length === 2 && service.source.cursor >= (events[phase2 - 1] as { time_us: number }).time_us);
      assert.ok(server.connections[1]!.cursor! <= (events[0] as { time_us: number }).time_us, 'the restart replays the events before the cursor');
      await subscriber.waitFor(4, 20_000);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(subscriber.labels.length, 4, 'no label emitted again by the replay');

      server.holdAfter = phase3;
      await subscriber.waitFor(7, 20_000);
      assert.deepEqual(active(subscriber.labels), [`${ALICE} mostly-apples`, `${BOB} mostly-apples`, `${DAVE} mostly-apples`], 'alice 4 of 6; bob 3 of 3 with the two posts seen before the restart');

      server.holdAfter = Infinity;
      await subscriber.waitFor(8, 20_000);
      assert.deepEqual(
        subscriber.labels.slice(7).map((l) => [l.uri, l.val, l.neg]),
        [[DAVE, 'mostly-apples', true]],
        'a deleted account loses its account labels',
      );
      assert.deepEqual(active(subscriber.labels), [`${ALICE} mostly-apples`, `${BOB} mostly-apples`]);
      for (const label of subscriber.labels) assert.ok(await verifyLabel(label));

      const carol = JSON.parse((await runCli(['explain', CAROL, '--json'], env())).stdout);
      assert.deepEqual([carol.overrides[0].active, carol.overrides[0].manifest.active], [false, true], 'the manifests would label carol; the human decision holds');
      assert.match(carol.overrides[0].manifest.explanation, /3 of 3 posts seen in the last 7 days/);
      const alice = JSON.parse((await runCli(['explain', ALICE, '--json'], env())).stdout);
      const apples = alice.labels.find((l: { val: string }) => l.val === 'mostly-apples');
      assert.deepEqual([apples.active, apples.explanation[0].inputs.posts, apples.explanation[0].inputs.matched, apples.window], [true, 6, 4, { posts: 6, matched: 4, windowDays: 7 }]);

      offset = 8 * DAY_MS;
      const swept = await service.sweepAccounts();
      assert.deepEqual(swept.negated.map((r) => r.uri).sort(), [ALICE, BOB], 'every post aged out of the 7-day window');
      await subscriber.waitFor(10, 20_000);
      assert.deepEqual(active(subscriber.labels), []);
      assert.deepEqual((await service.sweepAccounts()).negated, [], 'a second sweep has nothing left to do');
    } finally {
      subscriber.close();
      await service.stop();
    }

    const explained = await runCli(['explain', BOB], env());
    assert.equal(explained.code, 0, explained.stderr);
    assert.match(explained.stdout, /mostly-apples: negated at /);
    assert.match(explained.stdout, /0 of 0 posts seen in the last 7 days \(since .*\) matched the filter \(0%\); needs at least 3 posts and 60%: does not hold: fewer than 3 posts/);
    assert.match(explained.stdout, /now: 0 of 0 posts seen in the last 7 days match/, 'the sweep removed the aged rows');
  });
});
