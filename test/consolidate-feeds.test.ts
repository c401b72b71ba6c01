import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  ConsolidatedPostSchema,
  consolidateFeedViewPost,
  consolidateJetstreamEvent,
  mergePosts,
  type Consolidated,
  type ConsolidatedPost,
} from '../src/consolidate/index.ts';
import { feedFiles, fixture } from './support/fixtures.ts';

const feeds = feedFiles().map((file) => ({
  name: path.basename(file, '.json'),
  items: (JSON.parse(fs.readFileSync(fixture(`feeds/${file}`), 'utf8')) as { feed: FeedItem[] }).feed,
}));

type FeedItem = {
  post: {
    uri: string;
    cid: string;
    indexedAt: string;
    author: { did: string; handle: string };
    record: Record<string, unknown>;
    likeCount: number;
    replyCount: number;
    repostCount: number;
  };
};

const SYNCED_AT = '2026-07-05T00:00:00.000Z';

function expectPost(result: Consolidated): ConsolidatedPost {
  assert.equal(result.kind, 'post', JSON.stringify(result));
  return (result as Extract<Consolidated, { kind: 'post' }>).post;
}

function expectMalformed(result: Consolidated, pattern: RegExp): void {
  assert.equal(result.kind, 'malformed', JSON.stringify(result));
  assert.match((result as { reason: string }).reason, pattern);
}

describe('consolidating feed views', () => {
  it('turns all 600 real feed posts into valid posts with author handle and metrics', () => {
    let count = 0;
    for (const feed of feeds) {
      for (const item of feed.items) {
        const post = expectPost(consolidateFeedViewPost(item, feed.name, SYNCED_AT));
        ConsolidatedPostSchema.parse(post);
        assert.equal(post.uri, item.post.uri);
        assert.equal(post.cid, item.post.cid);
        assert.deepEqual(post.author, { did: item.post.author.did, handle: item.post.author.handle });
        assert.equal(post.indexedAt, item.post.indexedAt);
        assert.deepEqual(post.record, item.post.record);
        assert.deepEqual(post.metrics, { likes: item.post.likeCount, replies: item.post.replyCount, reposts: item.post.repostCount });
        assert.deepEqual(post.source, { name: `feed:${feed.name}`, syncedAt: SYNCED_AT });
        count += 1;
      }
    }
    assert.equal(count, 600);
  });

  it('keeps quote counts when the view has them', () => {
    const item = feeds[0]!.items[0]!;
    const post = expectPost(consolidateFeedViewPost({ ...item, post: { ...item.post, quoteCount: 4 } }, 'x', SYNCED_AT));
    assert.equal(post.metrics?.quotes, 4);
  });

  it('gives malformed feed items a reason naming what is wrong', () => {
    const item = feeds[0]!.items[0]!;
    const otherDid = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
    const cases: [unknown, RegExp][] = [
      [undefined, /feed view post: \(root\)/],
      [{ reason: {} }, /feed view post: post:/],
      [{ post: { ...item.post, cid: undefined } }, /post\.cid/],
      [{ post: { ...item.post, uri: 'https://bsky.app/post' } }, /post\.uri/],
      [{ post: { ...item.post, uri: item.post.uri.replace('app.bsky.feed.post', 'app.bsky.feed.like') } }, /collection is app\.bsky\.feed\.like/],
      [{ post: { ...item.post, author: { ...item.post.author, did: otherDid } } }, /is not the author/],
      [{ post: { ...item.post, likeCount: -1 } }, /metrics\.likes/],
      [{ post: { ...item.post, record: { createdAt: item.post.record.createdAt } } }, /record\.text/],
    ];
    for (const [input, reason] of cases) expectMalformed(consolidateFeedViewPost(input, 'x', SYNCED_AT), reason);
  });
});

describe('merging copies of one post', () => {
  const item = feeds[0]!.items[0]!;
  const rkey = item.post.uri.split('/').at(-1)!;
  const arrivalUs = Date.parse(item.post.indexedAt) * 1000 + 350_000;
  // The same post as Jetstream delivered it when it was published.
  const firehoseEvent = {
    did: item.post.author.did,
    time_us: arrivalUs,
    kind: 'commit',
    commit: { rev: '3kkhnq5vmz22a', operation: 'create', collection: 'app.bsky.feed.post', rkey, record: item.post.record, cid: item.post.cid },
  };

  it('merges a firehose copy and a feed view copy into one post with the best of each', () => {
    const fromFirehose = expectPost(consolidateJetstreamEvent(firehoseEvent));
    const fromFeed = expectPost(consolidateFeedViewPost(item, 'authors', SYNCED_AT));
    assert.equal(fromFirehose.uri, fromFeed.uri);

    const merged = mergePosts(fromFirehose, fromFeed);
    assert.deepEqual(mergePosts(fromFeed, fromFirehose), merged, 'order does not matter');
    ConsolidatedPostSchema.parse(merged);
    assert.equal(merged.uri, item.post.uri);
    assert.equal(merged.cid, item.post.cid);
    assert.deepEqual(merged.record, item.post.record);
    assert.deepEqual(merged.author, { did: item.post.author.did, handle: item.post.author.handle });
    assert.deepEqual(merged.metrics, { likes: item.post.likeCount, replies: item.post.replyCount, reposts: item.post.repostCount });
    assert.equal(merged.indexedAt, fromFirehose.indexedAt, 'arrival time from the firehose');
    assert.notEqual(merged.indexedAt, fromFeed.indexedAt);
    assert.deepEqual(merged.source, fromFeed.source, 'the copy synced last');
  });

  it('takes the record of an edit seen after the feed sync, keeping the feed metrics', () => {
    const fromFeed = expectPost(consolidateFeedViewPost(item, 'authors', SYNCED_AT));
    const editedRecord = { ...item.post.record, text: 'after open federation (edited)' };
    const editUs = Date.parse(SYNCED_AT) * 1000 + 1_000_000;
    const edit = expectPost(consolidateJetstreamEvent({ ...firehoseEvent, time_us: editUs, commit: { ...firehoseEvent.commit, operation: 'update', record: editedRecord, cid: 'bafyreiguce4jh7kcbmof3pmcvasifqtw24b6isakj5ve5ga2b4z4alpc4i' } }));
    const merged = mergePosts(fromFeed, edit);
    assert.equal(merged.cid, 'bafyreiguce4jh7kcbmof3pmcvasifqtw24b6isakj5ve5ga2b4z4alpc4i');
    assert.equal(merged.record.text, 'after open federation (edited)');
    assert.equal(merged.metrics?.likes, item.post.likeCount);
    assert.equal(merged.author.handle, item.post.author.handle);
  });

  it('refuses to merge two different posts, saying which', () => {
    const [first, second] = feeds[0]!.items.map((feedItem) => expectPost(consolidateFeedViewPost(feedItem, 'authors', SYNCED_AT)));
    assert.throws(() => mergePosts(first!, second!), /cannot merge different posts at:\/\/.+ and at:\/\//);
  });
});
