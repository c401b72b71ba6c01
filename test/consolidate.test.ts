import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { consolidateJetstreamEvent } from '../src/consolidate/jetstream.ts';
import { fixture } from './support/fixtures.ts';

const events = (file: string) =>
  fs
    .readFileSync(fixture(`jetstream/${file}`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('Jetstream consolidation', () => {
  const recorded = events('expected_v1.jsonl');

  it('turns every post create/update of the capture into a consolidated post, and the post delete into a delete', () => {
    const results = recorded.map(consolidateJetstreamEvent);
    const postCommits = recorded.filter((e) => e.kind === 'commit' && e.commit.collection === 'app.bsky.feed.post');
    const posts = results.filter((r) => r.kind === 'post');
    assert.equal(posts.length, postCommits.filter((e) => e.commit.operation !== 'delete').length);
    assert.equal(results.filter((r) => r.kind === 'post-delete').length, 1);
    assert.equal(results.filter((r) => r.kind === 'malformed').length, 0);
    const authorEvents = recorded.filter((e) => e.kind === 'identity' || e.kind === 'account');
    assert.deepEqual(
      results.filter((r) => r.kind === 'identity' || r.kind === 'account').map((r) => r.kind),
      authorEvents.map((e) => e.kind),
    );
    assert.equal(results.filter((r) => r.kind === 'ignored').length, recorded.length - postCommits.length - authorEvents.length);
  });

  it('keeps the record fields (reply refs with their $type too) and derives uri, author and times from the event', () => {
    const golden = events('golden_v1.jsonl');
    assert.ok(
      golden.some((e) => e.commit?.record?.reply),
      'the golden capture has a reply',
    );
    for (const event of [...recorded, ...golden].filter((e) => e.kind === 'commit' && e.commit.collection === 'app.bsky.feed.post' && e.commit.operation === 'create')) {
      const result = consolidateJetstreamEvent(event);
      assert.equal(result.kind, 'post');
      if (result.kind !== 'post') continue;
      const { post } = result;
      assert.equal(post.uri, `at://${event.did}/app.bsky.feed.post/${event.commit.rkey}`);
      assert.equal(post.cid, event.commit.cid);
      assert.equal(post.author.did, event.did);
      assert.equal(post.indexedAt, new Date(Math.floor(event.time_us / 1000)).toISOString());
      assert.deepEqual(post.record, event.commit.record, 'text, langs, facets, embed, reply are kept as published');
      assert.equal(post.source.name, 'firehose');
    }
  });

  it('reports malformed events with a reason instead of throwing', () => {
    const bad = [
      null,
      { kind: 'commit' },
      { did: 'did:plc:x', time_us: 1, kind: 'commit', commit: { operation: 'create', collection: 'app.bsky.feed.post', rkey: 'r', cid: 'c', record: { text: 5 } } },
      { did: 'nope', time_us: 1, kind: 'identity', identity: {} },
      { did: 'did:plc:x', time_us: 1, kind: 'mystery' },
    ];
    for (const input of bad) {
      const result = consolidateJetstreamEvent(input);
      assert.equal(result.kind, 'malformed', JSON.stringify(input));
      assert.ok(result.kind === 'malformed' && result.reason.length > 0);
    }
  });

  it('says which check failed: the event (even for a collection it ignores) or the post record, by its path in the post', () => {
    const like = (record: unknown) => ({ did: 'did:plc:x', time_us: 1, kind: 'commit', commit: { operation: 'create', collection: 'app.bsky.feed.like', rkey: 'r', cid: 'c', record } });
    for (const record of [[], 'x', null]) {
      const result = consolidateJetstreamEvent(like(record));
      assert.equal(result.kind === 'malformed' && result.code, 'invalid-event', JSON.stringify(record));
      assert.match(result.kind === 'malformed' ? result.reason : '', /^invalid event: commit\.record: /);
    }
    assert.deepEqual(consolidateJetstreamEvent(like({ subject: {} })), { kind: 'ignored' });
    const post = { did: 'did:plc:x', time_us: 1, kind: 'commit', commit: { operation: 'create', collection: 'app.bsky.feed.post', rkey: 'r', cid: 'c', record: { text: 5, createdAt: 'x', langs: ['en', 7] } } };
    const result = consolidateJetstreamEvent(post);
    assert.equal(result.kind === 'malformed' && result.code, 'invalid-post');
    assert.match(result.kind === 'malformed' ? result.reason : '', /^invalid post record: record\.text: .*; record\.langs\.1: /);
  });
});
