import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { consolidateFeedViewPost, type ConsolidatedPost } from '../src/consolidate/index.ts';
import { FeedSync } from '../src/ingest/feeds.ts';
import { openStages } from '../src/service.ts';
import { AppViewServer, type FeedBehaviour } from './support/appview-server.ts';
import { feedFiles, fixture } from './support/fixtures.ts';
import { shippedVerdicts } from './support/shipped-manifests.ts';

const files = feedFiles();
const GOOD = 'at://did:plc:test/app.bsky.feed.generator/most-liked';
const SHORT = 'at://did:plc:test/app.bsky.feed.generator/short';
const FAILING = 'at://did:plc:test/app.bsky.feed.generator/failing';
const HANGING = 'at://did:plc:test/app.bsky.feed.generator/hanging';
const feedItems = (file: string) => (JSON.parse(fs.readFileSync(fixture(`feeds/${file}`), 'utf8')) as { feed: { post: { uri: string; cid: string; record: unknown } }[] }).feed;

describe('feed sync', () => {
  let appview: AppViewServer;
  let dataDir: string;
  let stages: Awaited<ReturnType<typeof openStages>>;
  before(async () => {
    appview = await AppViewServer.start(
      new Map<string, FeedBehaviour>([
        [GOOD, { pages: files.slice(0, 4) }],
        [SHORT, { pages: files.slice(4, 6) }],
        [FAILING, { status: 500 }],
        [HANGING, 'hang'],
      ]),
    );
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-feeds-'));
    stages = await openStages(loadConfig({ DATA_DIR: dataDir, MANIFESTS_DIR: 'manifests', LOG_LEVEL: 'silent' }), pino({ level: 'silent' }));
  });
  after(async () => {
    await stages.close();
    await appview.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('syncs paginated feeds up to the limit, labels their posts, merges a post the firehose also delivered, and survives failing feeds', async () => {
    // The firehose delivered the first post of the good feed before the sync.
    const first = feedItems(files[0]!)[0]!.post;
    const [, , did, , rkey] = first.uri.split('/');
    await stages.pipeline([
      { kind: 'commit', did, time_us: 1_700_000_000_000_000, commit: { operation: 'create', collection: 'app.bsky.feed.post', rkey, rev: 'r', cid: first.cid, record: first.record } },
    ]);

    const sync = new FeedSync({
      feeds: [FAILING, GOOD, HANGING, SHORT],
      appviewUrl: appview.url,
      limit: 120,
      process: (posts) => stages.pipeline.posts(posts, []),
      logger: pino({ level: 'silent' }),
      metrics: stages.metrics,
      requestTimeoutMs: 500,
    });
    const results = await sync.syncAll();
    assert.deepEqual(
      [...results],
      [
        [FAILING, undefined],
        [GOOD, 120],
        [HANGING, undefined],
        [SHORT, 100],
      ],
    );
    assert.deepEqual(
      appview.requests.filter((r) => r.feed === GOOD).map((r) => [r.limit, r.cursor]),
      [
        [100, undefined],
        [70, '1'],
        [20, '2'],
      ],
      'pages of at most 100, stopping at the limit',
    );
    const errors = Object.fromEntries((await stages.metrics.feedSyncErrors.get()).values.map((v) => [v.labels.feed, v.value]));
    assert.deepEqual(errors, { [FAILING]: 1, [HANGING]: 1 });

    const synced = [...files.slice(0, 3).flatMap(feedItems).slice(0, 120), ...files.slice(4, 6).flatMap(feedItems)].flatMap((item) => {
      const r = consolidateFeedViewPost(item, 'x', '2026-01-01T00:00:00.000Z');
      return r.kind === 'post' ? [r.post] : [];
    });
    const stored = stages.db.prepare('SELECT count(*) FROM posts').pluck().get();
    assert.equal(stored, new Set(synced.map((p) => p.uri)).size);

    const expected = (await shippedVerdicts(synced)).verdicts.filter((v) => v.matched).map((v) => `${v.uri} ${v.label}`);
    assert.ok(expected.length > 0, 'the shipped manifests match some feed posts');
    const labelled = stages.db.prepare('SELECT uri, val FROM label_state WHERE active = 1').all() as { uri: string; val: string }[];
    assert.deepEqual(labelled.map((l) => `${l.uri} ${l.val}`).sort(), [...new Set(expected)].sort());

    const merged = stages.posts.get(first.uri) as ConsolidatedPost;
    assert.equal(merged.indexedAt, new Date(1_700_000_000_000).toISOString(), 'arrival from the firehose');
    assert.ok(merged.metrics && merged.author.handle, 'metrics and handle from the feed view');
    assert.equal(stages.db.prepare('SELECT count(*) FROM posts WHERE uri = ?').pluck().get(first.uri), 1);
  });

  it('runs on its node-cron schedule', async () => {
    const sync = new FeedSync({ feeds: [GOOD], appviewUrl: appview.url, limit: 10, process: async () => undefined, logger: pino({ level: 'silent' }), metrics: stages.metrics });
    const task = sync.schedule('*/5 * * * *');
    try {
      const next = task.getNextRun()!;
      assert.ok(next.getTime() - Date.now() <= 300_000 && next.getMinutes() % 5 === 0, `next run ${next.toISOString()}`);
    } finally {
      await task.destroy();
    }
  });
});
