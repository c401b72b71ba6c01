/**
 * Recorded Jetstream traffic for benchmarks: the production capture (every kind of event) and the feed
 * posts written as the post commits Jetstream would have sent, repeated with new rkeys and later times.
 */
import fs from 'node:fs';
import { AtUri } from '@atproto/syntax';
import { feedFiles, fixture } from '../test/support/fixtures.ts';

export interface JetstreamEvent {
  did: string;
  time_us: number;
  kind: string;
  commit?: { rev: string; operation: string; collection: string; rkey: string; record?: unknown; cid?: string };
}

function feedPostCommits(): JetstreamEvent[] {
  const out: JetstreamEvent[] = [];
  for (const file of feedFiles()) {
    const feed = JSON.parse(fs.readFileSync(fixture(`feeds/${file}`), 'utf8')) as { feed: { post: { uri: string; cid: string; record: unknown } }[] };
    for (const { post } of feed.feed) {
      const uri = new AtUri(post.uri);
      out.push({ did: uri.host, time_us: 0, kind: 'commit', commit: { rev: '3l3qo2vutsw2b', operation: 'create', collection: uri.collection, rkey: uri.rkey, record: post.record, cid: post.cid } });
    }
  }
  return out;
}

/** `count` events in time order, each a new subject (distinct rkey per round). */
export function recordedEvents(count: number): JetstreamEvent[] {
  const capture: JetstreamEvent[] = fs
    .readFileSync(fixture('jetstream/expected_v1.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const base = [...capture, ...feedPostCommits()];
  const start = 1_780_000_000_000_000;
  return Array.from({ length: count }, (_, i) => {
    const event = base[i % base.length]!;
    const round = Math.floor(i / base.length);
    return { ...event, time_us: start + i * 50, ...(event.commit && { commit: { ...event.commit, rkey: `${event.commit.rkey}${round.toString(36)}` } }) };
  });
}

export const postUriOf = (event: JetstreamEvent) => `at://${event.did}/${event.commit?.collection}/${event.commit?.rkey}`;
