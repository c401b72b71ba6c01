import type { RecordedEvent } from './capture.ts';

export type FuzzReason = 'binary' | 'oversized' | 'invalid-json' | 'unknown-kind' | 'missing-fields' | 'invalid-post';

/**
 * `count` bad messages made deterministically from real events, each of a known kind of badness:
 * truncated JSON, binary garbage, unknown kinds, missing or wrongly typed fields, records that are
 * not posts, and records above `maxBytes`. Returns the frames and how many of each reason they hold.
 */
export function malformedFrames(events: readonly RecordedEvent[], count: number, maxBytes: number) {
  let seed = 12345;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const pick = () => events[Math.floor(random() * events.length)]!;
  const posts = events.filter((e) => e.commit?.collection === 'app.bsky.feed.post' && e.commit.operation === 'create');
  const expected: Record<FuzzReason, number> = { binary: 0, oversized: 0, 'invalid-json': 0, 'unknown-kind': 0, 'missing-fields': 0, 'invalid-post': 0 };
  const frames: (string | Buffer)[] = [];
  const add = (reason: FuzzReason, frame: string | Buffer) => {
    expected[reason]++;
    frames.push(frame);
  };
  for (let i = 0; i < count; i++) {
    const event = pick();
    const post = posts[i % posts.length]!;
    const choice = i % 50 === 0 ? 'huge' : Math.floor(random() * 7);
    if (choice === 'huge') add('oversized', JSON.stringify({ ...post, commit: { ...post.commit, record: { ...post.commit!.record, text: 'x'.repeat(maxBytes) } } }));
    else if (choice === 0) {
      const json = JSON.stringify(event);
      add('invalid-json', json.slice(0, Math.floor(random() * json.length)));
    } else if (choice === 1) add('binary', Buffer.from(Array.from({ length: 1 + Math.floor(random() * 200) }, () => Math.floor(random() * 256))));
    else if (choice === 2) add('unknown-kind', JSON.stringify(random() < 0.5 ? { ...event, kind: `kind${i}` } : [event.time_us, i]));
    else if (choice === 3) add('missing-fields', JSON.stringify({ ...event, time_us: String(event.time_us) }));
    else if (choice === 4) add('missing-fields', JSON.stringify(event.commit ? { ...event, commit: { ...event.commit, rkey: undefined } } : { ...event, did: undefined }));
    else if (choice === 5) add('missing-fields', JSON.stringify({ ...event, did: 42 }));
    else add('invalid-post', JSON.stringify({ ...post, time_us: post.time_us, commit: { ...post.commit, rkey: `fuzz${i}`, record: { text: i, createdAt: [] } } }));
  }
  return { frames, expected };
}
