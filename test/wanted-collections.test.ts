import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { wantedCollections } from '../src/ingest/collections.ts';
import { compileManifest } from '../src/manifests/load.ts';
import type { OperatorDefinition } from '../src/core/operator.ts';
import { amplifiedCapture } from './support/capture.ts';
import { JetstreamReplayServer } from './support/jetstream-server.ts';
import { sourceOnTempDatabase } from './support/jetstream-source.ts';
import { until } from './support/until.ts';
import { testRegistry } from './support/test-operators.ts';

const FOLLOW = 'app.bsky.graph.follow';

/** An operator that, like the social graph ones, needs follow records from the stream. */
const followsAnyone: OperatorDefinition<[]> = {
  name: 'follows_anyone',
  description: 'Never matches; needs follow records.',
  examples: [],
  args: z.tuple([]),
  cost: 1,
  collections: [FOLLOW],
  compile: () => () => ({ matched: false }),
};
const registry = new Map([...testRegistry().registry, ['follows_anyone', followsAnyone]]);

async function compiled(filter: unknown) {
  const { manifest, problems } = await compileManifest('m.json', JSON.stringify({ label: { value: 'm' }, filter }), { registry });
  assert.deepEqual(problems, []);
  return manifest!;
}

describe('wanted collections from manifests', () => {
  it('are posts always, plus what the operators of loaded manifests declare, through logic nodes', async () => {
    assert.deepEqual(wantedCollections([await compiled({ contains: ['a'] })]), ['app.bsky.feed.post']);
    assert.deepEqual(wantedCollections([await compiled({ or: [{ contains: ['a'] }, { not: { follows_anyone: [] } }] })]), [FOLLOW, 'app.bsky.feed.post'].sort());
  });

  it('subscribe to posts only (likes and follows never arrive), then follows once a manifest needs them', async () => {
    // Long enough (about 9 s at this pace) that follows are still to come whenever the update lands.
    const events = amplifiedCapture(20);
    const server = await JetstreamReplayServer.serveEvents(events);
    server.pace = { every: 10, ms: 30 };
    const received: { kind: string; commit?: { collection: string } }[] = [];
    const harness = sourceOnTempDatabase({
      endpoint: server.url,
      wantedCollections: wantedCollections([await compiled({ contains: ['a'] })]),
      handle: async (batch) => void received.push(...(batch as typeof received)),
    });
    const source = harness.open();
    try {
      source.start();
      await until(() => received.length >= 8);
      assert.deepEqual(server.connections[0]!.wantedCollections, ['app.bsky.feed.post']);
      source.setWantedCollections(wantedCollections([await compiled({ and: [{ contains: ['a'] }, { follows_anyone: [] }] })]));
      await until(() => server.connections[0]!.wantedCollections.includes(FOLLOW));
      const before = received.length;
      await until(() => received.some((e, i) => i >= before && e.commit?.collection === FOLLOW), { ms: 20_000 });
      const collections = new Set(received.flatMap((e) => (e.commit ? [e.commit.collection] : [])));
      assert.deepEqual([...collections].sort(), [FOLLOW, 'app.bsky.feed.post'].sort(), 'no likes, reposts or blocks');
      assert.equal(server.connections.length, 1, 'updated on the open connection');
    } finally {
      await source.stop();
      await server.close();
      harness.cleanup();
    }
  });

  it('a change before the stream starts is not lost (and does not throw)', async () => {
    const server = await JetstreamReplayServer.serveEvents([]);
    const harness = sourceOnTempDatabase({ endpoint: server.url, wantedCollections: ['app.bsky.feed.post'], handle: async () => undefined });
    const source = harness.open();
    try {
      source.setWantedCollections(['app.bsky.feed.post', FOLLOW]);
      source.start();
      await until(() => server.connections[0]?.wantedCollections.includes(FOLLOW) ?? false);
    } finally {
      await source.stop();
      await server.close();
      harness.cleanup();
    }
  });
});
