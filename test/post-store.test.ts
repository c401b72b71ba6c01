import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { consolidateJetstreamEvent, type ConsolidatedPost } from '../src/consolidate/index.ts';
import { openDatabase } from '../src/store/database.ts';
import { PostStore } from '../src/store/posts.ts';
import { prunePosts, schedulePostRetention } from '../src/store/retention.ts';
import { feedPost } from './support/feed-posts.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-posts-'));
const { db } = openDatabase(path.join(dir, 'skysift.sqlite'));
const store = new PostStore(db);
after(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const feedCopy = feedPost('author-feed-7axcqwj4roha6mqpdhpdwczx.json', 0);
/** The same post as the firehose delivered it: no metrics, no handle, arrival one second after indexing. */
function firehoseCopy(post: ConsolidatedPost, timeUs: number): ConsolidatedPost {
  const [, , did, , rkey] = post.uri.split('/');
  const result = consolidateJetstreamEvent({
    kind: 'commit',
    did,
    time_us: timeUs,
    commit: { operation: 'create', collection: 'app.bsky.feed.post', rkey, rev: 'r', cid: post.cid, record: post.record },
  });
  assert.equal(result.kind, 'post');
  return (result as { post: ConsolidatedPost }).post;
}

describe('post store', () => {
  it('upserts by URI, merging a firehose and a feed copy into one row with the feed metrics and the firehose arrival', () => {
    const arrival = Date.parse(feedCopy.indexedAt) * 1000 + 1_000_000;
    const fromFirehose = firehoseCopy(feedCopy, arrival);
    store.upsert([fromFirehose]);
    const [merged] = store.upsert([feedCopy]);
    assert.deepEqual(merged!.metrics, feedCopy.metrics);
    assert.equal(merged!.indexedAt, fromFirehose.indexedAt);
    assert.equal(merged!.author.handle, feedCopy.author.handle);
    assert.deepEqual(store.get(feedCopy.uri), merged);
    assert.equal(db.prepare('SELECT count(*) FROM posts WHERE uri = ?').pluck().get(feedCopy.uri), 1);
  });

  it('records identity and account events (newest wins) and gives stored posts the known handle', () => {
    const post = firehoseCopy(feedPost('author-feed-gnmc53xy3rhbyepipqv2b3rl.json', 0), 2_000_000_000_000_000);
    store.recordHandle(post.author.did, 'new.example.com', 20);
    store.recordHandle(post.author.did, 'old.example.com', 10);
    store.recordHandle(post.author.did, undefined, 25);
    store.recordAccount(post.author.did, false, 'takendown', 30);
    assert.deepEqual(store.author(post.author.did), { did: post.author.did, handle: 'new.example.com', active: 0, status: 'takendown', updated_time_us: 30 });
    const [stored] = store.upsert([post]);
    assert.equal(stored!.author.handle, 'new.example.com');
  });

  it('removes deleted posts and prunes posts older than the retention window', () => {
    store.delete([feedCopy.uri]);
    assert.equal(store.get(feedCopy.uri), undefined);
    const old = { ...feedPost('author-feed-l3rouwludahu3ui3bt66mfvj.json', 1), indexedAt: '2026-01-01T00:00:00.000Z' };
    const recent = { ...feedPost('author-feed-l3rouwludahu3ui3bt66mfvj.json', 2), indexedAt: '2026-01-09T00:00:00.000Z' };
    store.upsert([old, recent]);
    assert.equal(prunePosts(store, 7, new Date('2026-01-10T00:00:00.000Z')), 1);
    assert.equal(store.get(old.uri), undefined);
    assert.ok(store.get(recent.uri));
  });

  it('schedules the hourly prune with node-cron', async () => {
    const task = schedulePostRetention(store, 7, pino({ level: 'silent' }));
    try {
      const next = task.getNextRun();
      assert.ok(next && next.getTime() - Date.now() <= 3_600_000 && next.getMinutes() === 7);
      assert.notEqual(task.getStatus(), 'stopped');
    } finally {
      await task.destroy();
    }
  });
});
