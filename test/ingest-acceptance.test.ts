import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { startService } from '../src/service.ts';
import { openDatabase } from '../src/store/database.ts';
import { PostStore } from '../src/store/posts.ts';
import { recordedEvents } from './support/capture.ts';
import { feedPost } from './support/feed-posts.ts';
import { JetstreamReplayServer } from './support/jetstream-server.ts';
import { until } from './support/until.ts';

const POST = 'app.bsky.feed.post';
const uriOf = (e: { did: string; commit?: { rkey: string } }) => `at://${e.did}/${POST}/${e.commit!.rkey}`;

describe('acceptance: replaying the recorded capture through loopback Jetstream', () => {
  it('stores every post create with its fields, removes the deleted post, records the author events, ignores likes and follows', async () => {
    const events = recordedEvents();
    const creates = events.filter((e) => e.commit?.collection === POST && e.commit.operation === 'create');
    const deletion = events.find((e) => e.commit?.collection === POST && e.commit.operation === 'delete')!;
    const identity = events.find((e) => e.kind === 'identity')!;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-accept-'));
    const file = path.join(dataDir, 'skysift.sqlite');
    {
      // The post the capture deletes was stored earlier (say, from a feed).
      const { db } = openDatabase(file);
      new PostStore(db).upsert([{ ...feedPost('author-feed-7axcqwj4roha6mqpdhpdwczx.json', 0), uri: uriOf(deletion), author: { did: deletion.did } }]);
      db.close();
    }
    const server = await JetstreamReplayServer.serveEvents(events);
    const service = await startService(loadConfig({ DATA_DIR: dataDir, LABELER_PORT: '0', JETSTREAM_URL: server.url, MANIFESTS_DIR: 'manifests' }), pino({ level: 'silent' }));
    try {
      const last = Math.max(...events.filter((e) => e.kind !== 'commit' || e.commit!.collection === POST).map((e) => e.time_us));
      await until(() => service.source.cursor >= last);
      assert.deepEqual(server.connections[0]!.wantedCollections, [POST]);
      const collections = (await service.metrics.eventsIn.get()).values.map((v) => v.labels.collection).filter(Boolean);
      assert.deepEqual([...new Set(collections)], [POST], 'likes and follows never asked for');
    } finally {
      await service.stop();
      await server.close();
    }
    const { db } = openDatabase(file);
    try {
      const store = new PostStore(db);
      assert.equal(store.get(uriOf(deletion)), undefined, 'the delete removed the stored post');
      assert.equal(db.prepare('SELECT count(*) FROM posts').pluck().get(), new Set(creates.map(uriOf)).size);
      for (const event of creates) {
        const stored = store.get(uriOf(event))!;
        assert.ok(stored, uriOf(event));
        assert.equal(stored.author.did, event.did);
        assert.deepEqual(stored.record, event.commit!.record, 'text, langs, facets, embeds, reply refs as published');
        assert.equal(stored.indexedAt, new Date(Math.floor(event.time_us / 1000)).toISOString());
        assert.equal(stored.source.name, 'firehose');
      }
      assert.ok(creates.some((e) => e.commit!.record!.facets) && creates.some((e) => e.commit!.record!.embed) && creates.some((e) => e.commit!.record!.langs));
      assert.equal(store.author(identity.did)?.active, 1, 'the identity and account events recorded their author');
    } finally {
      db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
