/** Membership lookups/s of the social operators (one in-memory Set lookup per post, whatever the set's size), and live graph events/s applied to a set. */
import { consolidateJetstreamEvent } from '../src/consolidate/index.ts';
import { CompileServices, provide } from '../src/core/services.ts';
import type { ConsolidatedPost } from '../src/consolidate/post.ts';
import { evaluateBatch } from '../src/evaluate/index.ts';
import { createLogger } from '../src/log.ts';
import { compileManifest } from '../src/manifests/load.ts';
import { AppView } from '../src/social/appview.ts';
import { MEMBERSHIP_WATCHER, MembershipRegistry } from '../src/social/registry.ts';
import { SocialSetStore } from '../src/social/store.ts';
import { openDatabase } from '../src/store/database.ts';

const did = (i: number) => `did:plc:${i.toString(36).padStart(24, 'a')}`;

function post(i: number): ConsolidatedPost {
  const result = consolidateJetstreamEvent({
    kind: 'commit',
    did: did(i),
    time_us: i,
    commit: {
      operation: 'create',
      collection: 'app.bsky.feed.post',
      rkey: `p${i}`,
      cid: 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm',
      record: { text: 'hi', createdAt: new Date(0).toISOString() },
    },
  });
  if (result.kind !== 'post') throw new Error('bench post did not consolidate');
  return result.post;
}

async function lookupsPerSecond(members: number, posts: ConsolidatedPost[]): Promise<number> {
  const registry = new MembershipRegistry({ appview: new AppView({ service: 'http://127.0.0.1:9', concurrency: 1 }), ttlMs: 1, logger: createLogger('silent') });
  const { manifest } = await compileManifest('bench.json', JSON.stringify({ label: { value: 'in-list' }, filter: { list_member: [`at://${did(0)}/app.bsky.graph.list/bench`, 'in'] } }), {
    services: new CompileServices([provide(MEMBERSHIP_WATCHER, registry)]),
  });
  // Every other author of the posts is a member; the rest of the set are accounts that never post here.
  const set = new Set(Array.from({ length: members }, (_, i) => did(i < members / 2 ? i * 2 : posts.length * 2 + i)));
  const memberships = new Map([[registry.watched()[0]!, set]]);
  const started = performance.now();
  for (let i = 0; i < posts.length; i += 500) await evaluateBatch(posts.slice(i, i + 500), [manifest!], new Map(), memberships);
  return Math.round(posts.length / ((performance.now() - started) / 1000));
}

/**
 * Live list-item events/s on a cached list of `members`: each round adds an item for a member already
 * listed and deletes it again, so every delete asks whether it was the member's last item (a count, O(1)).
 */
async function liveEventsPerSecond(members: number): Promise<number> {
  const db = openDatabase(':memory:').db;
  const store = new SocialSetStore(db);
  const list = `at://${did(0)}/app.bsky.graph.list/bench`;
  const records: [string, string][] = Array.from({ length: members }, (_, i) => [`${did(0)}/item${i}`, did(i)]);
  store.put(`list:${list}`, { members: records.map(([, member]) => member), records, source: list }, Date.now(), Date.now() + 3_600_000);
  const registry = new MembershipRegistry({ appview: new AppView({ service: 'http://127.0.0.1:9', concurrency: 1 }), store, ttlMs: 3_600_000, logger: createLogger('silent') });
  registry.watch({ type: 'list', repo: did(0), rkey: 'bench' }, { manifest: { file: 'bench.json', version: '1' } });
  registry.start();
  const event = (i: number, create: boolean) => ({
    kind: 'commit',
    did: did(0),
    time_us: i,
    commit: { operation: create ? 'create' : 'delete', collection: 'app.bsky.graph.listitem', rkey: `extra${i}`, ...(create && { cid: 'bafy', record: { subject: did(i % members), list } }) },
  });
  // Batches of 100 events, as Jetstream batches come, each appended to SQLite in one transaction: neither
  // applying an event nor recording it depends on the set's size.
  const batches = Array.from({ length: 200 }, (_, b) => Array.from({ length: 100 }, (_, j) => event(b * 50 + (j >> 1), j % 2 === 0)));
  const started = performance.now();
  for (const batch of batches) registry.observe(batch);
  const rate = Math.round((batches.length * 100) / ((performance.now() - started) / 1000));
  await registry.close();
  db.close();
  return rate;
}

export async function run(): Promise<Record<string, number>> {
  const posts = Array.from({ length: 200_000 }, (_, i) => post(i));
  await lookupsPerSecond(5_000, posts.slice(0, 20_000));
  return {
    posts: posts.length,
    'lookups/s, 50 members': await lookupsPerSecond(50, posts),
    'lookups/s, 5,000 members': await lookupsPerSecond(5_000, posts),
    'lookups/s, 500,000 members': await lookupsPerSecond(500_000, posts),
    'live list-item events/s, 5,000 members': await liveEventsPerSecond(5_000),
    'live list-item events/s, 50,000 members': await liveEventsPerSecond(50_000),
  };
}
