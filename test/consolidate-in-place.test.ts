import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { inPlace } from '../src/consolidate/in-place.ts';
import { isoTimeOfMs } from '../src/consolidate/iso-time.ts';
import { consolidateJetstreamEvent, JetstreamEventSchema } from '../src/consolidate/jetstream.ts';
import { PostRecordSchema } from '../src/consolidate/post.ts';
import { describeIssues } from '../src/consolidate/result.ts';
import { fixture } from './support/fixtures.ts';
import { random as seededRandom } from './support/rule-manifests.ts';

const recorded = ['expected_v1.jsonl', 'golden_v1.jsonl'].flatMap((file) =>
  fs
    .readFileSync(fixture(`jetstream/${file}`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown),
);

const WRONG_VALUES: unknown[] = [null, true, 0, 1.5, -1, 2 ** 60, '', 'did:x', 'create', 'delete', 'commit', [], ['x'], [{}], {}, { $type: 'x' }];

const REMOVE = Symbol('remove');
type Path = (string | number)[];

/** The path of every value in `value`, itself included. */
function paths(value: unknown, at: Path = []): Path[] {
  const children = Array.isArray(value) ? value.map((v, i) => paths(v, [...at, i])) : value && typeof value === 'object' ? Object.entries(value).map(([k, v]) => paths(v, [...at, k])) : [];
  return [at, ...children.flat()];
}

/** A copy of `value` with what lies at `path` replaced (or removed); the rest shared. */
function withAt(value: unknown, path: Path, replacement: unknown): unknown {
  if (path.length === 0) return replacement === REMOVE ? undefined : replacement;
  const [key, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = value.map((v, i) => (i === key ? withAt(v, rest, replacement) : v));
    return rest.length === 0 && replacement === REMOVE ? copy.filter((_, i) => i !== key) : copy;
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  if (rest.length === 0 && replacement === REMOVE) delete copy[key!];
  else copy[key!] = withAt(copy[key!], rest, replacement);
  return copy;
}

/** Recorded events with, at every place in the event, one value removed or replaced by a wrong one, or an unknown key added. */
function mutants(events: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const event of events)
    for (const path of paths(event)) {
      out.push(withAt(event, path, REMOVE));
      for (const wrong of WRONG_VALUES) out.push(withAt(event, path, wrong));
      out.push(withAt(event, [...path, 'unknownKey'], 'x'));
    }
  return out;
}

describe('validation in place', () => {
  const cases = [...recorded, ...mutants(recorded)];

  it('accepts and refuses exactly what zod does, with zod’s messages, on recorded events and every one-value mutation of them', () => {
    const parseEvent = inPlace(JetstreamEventSchema);
    const parseRecord = inPlace(PostRecordSchema);
    let refused = 0;
    for (const input of cases) {
      const fast = parseEvent(input);
      const zod = JetstreamEventSchema.safeParse(input);
      assert.equal(fast.success, zod.success, JSON.stringify(input));
      if (fast.success) assert.equal(fast.data, input, 'valid input is returned where it lies');
      else assert.deepEqual(fast.error.issues, zod.error!.issues);
      const record = (input as { commit?: { record?: unknown } } | undefined)?.commit?.record;
      if (record === undefined) continue;
      const fastRecord = parseRecord(record);
      const zodRecord = PostRecordSchema.safeParse(record);
      assert.equal(fastRecord.success, zodRecord.success, JSON.stringify(record));
      if (fastRecord.success) assert.deepEqual(fastRecord.data, zodRecord.data, 'the record in place equals zod’s copy');
      else refused++;
    }
    assert.ok(refused > 100, `mutations must reach the refusing side (${refused} records refused)`);
  });

  it('consolidates each case as before, from zod’s copies: the same post, ignored event or author change, or the same malformed reason', () => {
    for (const input of cases) {
      const result = consolidateJetstreamEvent(input);
      const event = JetstreamEventSchema.safeParse(input);
      if (!event.success) {
        assert.deepEqual(result, { kind: 'malformed', code: 'invalid-event', reason: `invalid event: ${describeIssues(event.error)}` });
        continue;
      }
      const { commit } = event.data as { commit?: { collection: string; operation: string; record?: unknown } };
      const record = commit?.collection === 'app.bsky.feed.post' && commit.operation !== 'delete' ? PostRecordSchema.safeParse(commit.record) : undefined;
      if (record && !record.success) assert.deepEqual(result, { kind: 'malformed', code: 'invalid-post', reason: `invalid post record: ${describeIssues(record.error, 'record')}` });
      else if (record?.success) assert.deepEqual(result.kind === 'post' && result.post.record, record.data, 'the post keeps the record zod would have copied, no more');
      assert.deepEqual(result, consolidateJetstreamEvent(event.data), 'unknown keys of the event change nothing');
    }
  });

  it('refuses a schema whose JSON Schema would check less than zod (refinements, transforms, defaults), naming where', () => {
    assert.throws(() => inPlace(z.object({ a: z.string().refine((s) => s.length > 2) })), /schema\.a has a check a JSON Schema does not hold \(custom\)/);
    assert.throws(() => inPlace(z.object({ a: z.array(z.string().trim()) })), /schema\.a\.element has a check a JSON Schema does not hold \(overwrite\)/);
    assert.throws(() => inPlace(z.looseObject({ a: z.string().transform((s) => s.length) })), /schema\.a is a pipe/);
    assert.throws(() => inPlace(z.object({ a: z.string().default('x') })), /schema\.a is a default/);
    assert.doesNotThrow(() => inPlace(z.object({ a: z.string().min(1).startsWith('x').optional(), b: z.enum(['c']) })));
  });
});

describe('isoTimeOfMs', () => {
  it('is Date#toISOString, within a second, across seconds, before 1970 and past year 9999', () => {
    const { next: random } = seededRandom(7);
    const times = [0, 999, 1000, -1, -999, -1000, -1001, 1_780_000_000_000, 1_780_000_000_999, 8.64e15, -8.64e15, 253_402_300_800_000];
    for (let i = 0; i < 2_000; i++) times.push(Math.floor((random() - 0.5) * 2 * 8.64e15));
    for (let t = 1_780_000_000_000; t < 1_780_000_003_000; t += 7) times.push(t);
    for (const ms of times) assert.equal(isoTimeOfMs(ms), new Date(ms).toISOString(), String(ms));
  });

  it('throws as toISOString does for a time outside the Date range', () => {
    assert.throws(() => isoTimeOfMs(8.64e15 + 1000), RangeError);
  });
});
