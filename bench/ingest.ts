/** Posts/s of consolidation (Jetstream JSON → ConsolidatedPost) and of storage (upsert into SQLite, new and merged). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { consolidateJetstreamEvent, type ConsolidatedPost } from '../src/consolidate/index.ts';
import { openDatabase } from '../src/store/database.ts';
import { PostStore } from '../src/store/posts.ts';
import { fixture } from '../test/support/fixtures.ts';

const BATCH = 256;

/** The capture's post creates as raw JSON messages, varied (did, rkey, time_us) into `count` distinct posts. */
function amplifiedPostMessages(count: number): string[] {
  const events = fs
    .readFileSync(fixture('jetstream/expected_v1.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const creates = events.filter((e) => e.kind === 'commit' && e.commit.collection === 'app.bsky.feed.post' && e.commit.operation === 'create');
  return Array.from({ length: count }, (_, i) => {
    const e = creates[i % creates.length];
    const round = Math.floor(i / creates.length);
    return JSON.stringify({ ...e, did: `${e.did}${round % 1000}`, time_us: e.time_us + i, commit: { ...e.commit, rkey: `${e.commit.rkey}${round}` } });
  });
}

function timed(work: () => void): number {
  const started = performance.now();
  work();
  return (performance.now() - started) / 1000;
}

export async function run(): Promise<Record<string, number>> {
  const messages = amplifiedPostMessages(50_000);
  let posts: ConsolidatedPost[] = [];
  const consolidateSeconds = timed(() => {
    posts = messages.flatMap((m) => {
      const r = consolidateJetstreamEvent(JSON.parse(m));
      return r.kind === 'post' ? [r.post] : [];
    });
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-bench-'));
  const { db } = openDatabase(path.join(dir, 'skysift.sqlite'));
  try {
    const store = new PostStore(db);
    const upsertAll = () => {
      for (let i = 0; i < posts.length; i += BATCH) store.upsert(posts.slice(i, i + BATCH));
    };
    const insertSeconds = timed(upsertAll);
    // The same posts again: every upsert reads the stored copy and merges.
    const mergeSeconds = timed(upsertAll);
    return {
      posts: posts.length,
      'consolidate posts/s (parse + validate)': Math.round(posts.length / consolidateSeconds),
      'store new posts/s (batches of 256)': Math.round(posts.length / insertSeconds),
      'store + merge posts/s (batches of 256)': Math.round(posts.length / mergeSeconds),
    };
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
