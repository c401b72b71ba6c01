import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SignedLabel, StoredLabel } from '../src/label/label.ts';
import { activeKey, CursorMoved, type LabelOverride, type LabelSearch, type LabelStateRow, type LabelStore } from '../src/label/store.ts';
import { postgresStores, sqliteStores, type OpenedStore } from './support/label-stores.ts';
import { until } from './support/until.ts';

/** A label for store tests (signatures are not the store's business: test/labeler.test.ts verifies real ones). */
const label = (uri: string, extra: Partial<SignedLabel> = {}): SignedLabel => ({
  src: 'did:plc:labeler',
  uri,
  cid: null,
  val: 'test',
  neg: false,
  cts: '2026-01-01T00:00:00.000Z',
  exp: null,
  sig: new Uint8Array(64).fill(uri.length % 256),
  signedNegFalse: false,
  ...extra,
});

const state = (uri: string, val: string, active: boolean, extra: Partial<LabelStateRow> = {}): LabelStateRow => ({
  uri,
  val,
  cid: 'bafycid',
  active,
  cts: '2026-01-01T00:00:00.000Z',
  exp: null,
  manifestVersion: 'v1',
  explanation: '[]',
  ...extra,
});

const override = (uri: string, val: string, active: boolean, extra: Partial<LabelOverride> = {}): LabelOverride => ({
  uri,
  val,
  active,
  createdAt: '2026-02-01T00:00:00.000Z',
  createdBy: 'moderator',
  reason: 'by hand',
  reportId: null,
  manifest: { active: !active, cid: 'bafycid', manifestVersion: 'v1', explanation: '["matched"]' },
  ...extra,
});

const post = (n: number, author = 'alice') => `at://did:plc:${author}/app.bsky.feed.post/${n}`;
const ids = (labels: readonly StoredLabel[]) => labels.map((l) => l.id);
const span = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

for (const kind of [sqliteStores(), postgresStores()]) {
  describe(`label store conformance: ${kind.name}`, () => {
    let opened: OpenedStore;
    let store: LabelStore;
    before(async () => {
      opened = await kind.open();
      store = opened.store;
    });
    after(async () => {
      await opened.close();
      await kind.stop();
    });

    it('starts empty: head 0, tail 1, nothing to read', async () => {
      assert.equal(await store.head(), 0);
      assert.equal(await store.tail(), 1);
      assert.deepEqual(await store.range(0, 10), []);
    });

    it('numbers labels in commit order and groups a commit into events of at most 100, each seq the id of its last label', async () => {
      const first = await store.commit({ state: [], labels: span(1, 250).map((n) => label(post(n))) });
      assert.deepEqual(ids(first), span(1, 250));
      assert.deepEqual([...new Set(first.map((l) => l.seq))], [100, 200, 250]);
      const second = await store.commit({ state: [], labels: [label(post(251))] });
      assert.deepEqual(second.map((l) => [l.id, l.seq]), [[251, 251]]);
      assert.equal(await store.head(), 251);
      assert.equal(await store.tail(), 1);
    });

    it('stores labels exactly as given: bytes of the signature, neg, exp, cid, signedNegFalse', async () => {
      const sig = Uint8Array.from({ length: 64 }, (_, i) => (i * 37) % 256);
      const odd = label(post(999, 'bob'), { cid: 'bafyodd', neg: true, exp: '2027-01-01T00:00:00.000Z', sig, signedNegFalse: true, val: 'other' });
      const [stored] = await store.commit({ state: [], labels: [odd] });
      const [read] = await store.range(stored!.id - 1, 1);
      assert.deepEqual({ ...read, sig: [...read!.sig] }, { ...odd, id: stored!.id, seq: stored!.id, sig: [...sig] });
    });

    it('reads a range after an id, extended to the end of the event it cuts', async () => {
      const labels = await store.range(150, 10);
      assert.deepEqual(ids(labels), span(151, 200), 'the rest of the event that ends at seq 200');
      assert.deepEqual(ids(await store.range(200, 10)), span(201, 250));
      assert.deepEqual(ids(await store.range(250, 1)), [251]);
    });

    it('keeps label state: upserts, active rows by subject, every decision on a subject, actives outside a set of values', async () => {
      await store.commit({ state: [state(post(1), 'a', true), state(post(1), 'b', true), state(post(2), 'a', true)], labels: [] });
      await store.commit({ state: [state(post(1), 'b', false, { explanation: '["lost"]' }), state(post(3), 'c', true)], labels: [] });
      const active = await store.activeState([post(1), post(2), post(4)]);
      assert.deepEqual([...active.values()].map((r) => `${r.uri} ${r.val}`).sort(), [`${post(1)} a`, `${post(2)} a`]);
      const subject = await store.forSubject(post(1));
      assert.deepEqual(
        subject.map((r) => [r.val, r.active, r.explanation]),
        [
          ['a', true, '[]'],
          ['b', false, '["lost"]'],
        ],
      );
      assert.deepEqual(subject[0], state(post(1), 'a', true));
      assert.deepEqual(
        (await store.activeOutside(new Set(['a']))).map((r) => `${r.uri} ${r.val}`),
        [`${post(3)} c`],
      );
      assert.equal(await store.head(), 252, 'state alone adds no label');
    });

    it('searches label state by value, subject prefix, time and activity, newest first, and counts it per value', async () => {
      const at = (day: number) => `2026-03-0${day}T00:00:00.000Z`;
      await store.commit({
        state: [
          state(post(1, 'sam'), 'spam', true, { cts: at(1) }),
          state(post(2, 'sam'), 'spam', false, { cts: at(2) }),
          state(post(3, 'sam'), 'rude', true, { cts: at(3) }),
          state(post(4, 'tom'), 'spam', true, { cts: at(4) }),
        ],
        labels: [],
      });
      const found = async (search: Omit<LabelSearch, 'limit'>, limit = 10) => (await store.search({ ...search, limit })).map((r) => `${r.uri.split('/')[2]} ${r.val} ${r.cts.slice(8, 10)}`);
      assert.deepEqual(await found({ val: 'spam' }), ['did:plc:tom spam 04', 'did:plc:sam spam 02', 'did:plc:sam spam 01']);
      assert.deepEqual(await found({ subject: 'at://did:plc:sam/' }), ['did:plc:sam rude 03', 'did:plc:sam spam 02', 'did:plc:sam spam 01']);
      assert.deepEqual(await found({ since: at(2), until: at(4) }), ['did:plc:sam rude 03', 'did:plc:sam spam 02']);
      assert.deepEqual(await found({ val: 'spam', active: true }, 1), ['did:plc:tom spam 04']);
      assert.deepEqual((await store.valueCounts([at(1), at(4)])).filter((c) => ['rude', 'spam'].includes(c.val)), [
        { val: 'rude', active: 1, activeSince: [1, 0] },
        { val: 'spam', active: 2, activeSince: [2, 1] },
      ]);
    });

    it('answers queryLabels by exact URI, prefix, source, cursor and limit, in log order', async () => {
      await store.commit({ state: [], labels: [label(post(7, 'carol'), { src: 'did:plc:other' }), label(post(8, 'carol'))] });
      const q = { uris: [] as string[], prefixes: [] as string[], sources: [] as string[], after: 0, limit: 1000 };
      assert.deepEqual(
        (await store.query({ ...q, uris: [post(5), post(999, 'bob')] })).map((l) => l.uri),
        [post(5), post(999, 'bob')],
      );
      assert.deepEqual(
        (await store.query({ ...q, prefixes: ['at://did:plc:carol/'] })).map((l) => l.uri),
        [post(7, 'carol'), post(8, 'carol')],
      );
      assert.deepEqual(
        (await store.query({ ...q, prefixes: ['at://did:plc:carol/'], sources: ['did:plc:other'] })).map((l) => l.src),
        ['did:plc:other'],
      );
      assert.deepEqual(await store.query({ ...q, prefixes: ['at://did:plc:carol/'], sources: ['did:plc:nobody'] }), []);
      assert.deepEqual(ids(await store.query({ ...q, prefixes: [''], after: 250, limit: 2 })), [251, 252]);
      assert.deepEqual(ids(await store.query({ ...q, prefixes: ['at://did:plc:alice/'], after: 240, limit: 3 })), [241, 242, 243]);
      assert.deepEqual(await store.query({ ...q, prefixes: ['at://did:plc:alice/app.bsky.feed.post/%'] }), [], 'a prefix is literal text, not a pattern');
    });

    it('finds the same labels by a broad prefix (walking the log) as by the index', async () => {
      const before = await store.head();
      await store.commit({ state: [], labels: span(1, 10_050).map((n) => label(post(n, 'dave'))) });
      const q = { uris: [post(3)], prefixes: ['at://did:plc:dave/'], sources: [], after: before - 10, limit: 40 };
      const found = await store.query(q);
      assert.deepEqual(ids(found), span(before + 1, before + 40), 'prefix matches from the cursor on; the exact URI is before it');
      assert.ok(found.every((l) => l.uri.startsWith('at://did:plc:dave/')));
    });

    it('tells onCommit listeners after the commit, when its labels can be read', async () => {
      const seen: number[] = [];
      const stop = store.onCommit(() => void store.head().then((head) => seen.push(head)));
      const [stored] = await store.commit({ state: [], labels: [label(post(1, 'erin'))] });
      await until(() => seen.length > 0, { what: 'the listener' });
      stop();
      assert.ok(seen[0]! >= stored!.id, `the listener read head ${seen[0]} before commit ${stored!.id} was visible`);
    });

    it('hears of commits made through another connection', async () => {
      const other = await opened.connect();
      let told = 0;
      const stop = store.onCommit(() => told++);
      const [stored] = await other.commit({ state: [], labels: [label(post(2, 'erin'))] });
      await until(() => told > 0, { what: 'a notification of the other commit' });
      stop();
      assert.equal(await store.head(), stored!.id);
    });

    it('never lets a reader see id n+1 before id n while many writers commit at once', async () => {
      const writers = await Promise.all(Array.from({ length: 6 }, () => opened.connect()));
      const start = await store.head();
      const perWriter = 40;
      let done = false;
      const seen: number[] = [];
      const reading = (async () => {
        let last = start;
        while (!done || last < start + writers.length * perWriter * 3) {
          const labels = await store.range(last, 500);
          for (const l of labels) {
            assert.equal(l.id, last + 1, `after id ${last} the reader saw id ${l.id}`);
            last = l.id;
            seen.push(l.id);
          }
          if (!labels.length) await new Promise((r) => setImmediate(r));
        }
      })();
      await Promise.all(
        writers.map(async (writer, w) => {
          for (let i = 0; i < perWriter; i++) await writer.commit({ state: [state(post(i, `w${w}`), 'x', true)], labels: [0, 1, 2].map((k) => label(post(i * 3 + k, `w${w}`))) });
        }),
      );
      done = true;
      await reading;
      assert.deepEqual(seen, span(start + 1, start + writers.length * perWriter * 3), 'every label once, in order');
      const seqs = (await store.range(start, 10_000)).map((l) => l.seq);
      assert.ok(seqs.every((seq, i) => i === 0 || seq >= seqs[i - 1]!), 'seqs never go back');
    });
    it('keeps overrides beside label state: written, replaced, cleared, read by subject, committed with the rest or not at all', async () => {
      const head = await store.head();
      const negated = override(post(1, 'olga'), 'spam', false, { reportId: opened.reportId });
      const applied = override(post(1, 'olga'), 'rude', true, { reason: null, manifest: { active: false, cid: null, manifestVersion: null, explanation: null } });
      await store.commit({ state: [state(post(1, 'olga'), 'spam', false)], labels: [], overrides: [negated, applied, override(post(2, 'olga'), 'spam', false)] });
      const read = await store.overrides([post(1, 'olga'), post(3, 'olga')]);
      assert.deepEqual([...read.keys()], [activeKey(post(1, 'olga'), 'rude'), activeKey(post(1, 'olga'), 'spam')]);
      assert.deepEqual(read.get(activeKey(post(1, 'olga'), 'spam')), negated);
      assert.deepEqual(read.get(activeKey(post(1, 'olga'), 'rude')), applied);
      assert.equal(await store.head(), head, 'overrides alone add no label');

      const replaced = override(post(1, 'olga'), 'spam', true, { createdBy: 'second look', manifest: { active: true, cid: 'bafynew', manifestVersion: 'v2', explanation: '[]' } });
      await store.commit({ state: [], labels: [], overrides: [override(post(1, 'olga'), 'spam', false), replaced], clearedOverrides: [{ uri: post(1, 'olga'), val: 'rude' }] });
      assert.deepEqual([...(await store.overrides([post(1, 'olga')])).values()], [replaced], 'the last word in a batch wins; a cleared override is gone');

      await store.commit({ state: [], labels: [], clearedOverrides: [{ uri: post(2, 'olga'), val: 'spam' }], overrides: [override(post(2, 'olga'), 'spam', true)] });
      assert.equal((await store.overrides([post(2, 'olga')])).get(activeKey(post(2, 'olga'), 'spam'))?.active, true, 'cleared, then written in the same commit: written');

      const broken = { ...state(post(3, 'olga'), 'spam', true), manifestVersion: null as unknown as string };
      await assert.rejects(store.commit({ state: [broken], labels: [], overrides: [override(post(3, 'olga'), 'spam', false)], clearedOverrides: [{ uri: post(1, 'olga'), val: 'spam' }] }));
      assert.equal((await store.overrides([post(3, 'olga')])).size, 0, 'a failed commit writes no override');
      assert.deepEqual([...(await store.overrides([post(1, 'olga')])).values()], [replaced], 'and clears none');
      const other = await opened.connect();
      assert.deepEqual([...(await other.overrides([post(1, 'olga')])).values()], [replaced], 'another connection reads the same overrides');
    });
    it('moves a stream cursor with the batch it ends, only from where its committer read it', async () => {
      const name = 'nats:events:p7';
      assert.equal(await store.cursor(name), 0, 'no cursor yet');
      const head = await store.head();
      await store.commit({ state: [state(post(1, 'pia'), 'x', true)], labels: [label(post(1, 'pia'))], cursor: { name, from: 0, to: 12 } });
      assert.equal(await store.cursor(name), 12);
      assert.equal(await store.cursor('nats:events:p8'), 0, 'cursors are separate');

      // The same batch again (its acknowledgement lost), or a second process on the partition: refused whole.
      const again = store.commit({ state: [state(post(1, 'pia'), 'x', true)], labels: [label(post(1, 'pia'))], cursor: { name, from: 0, to: 12 } });
      await assert.rejects(again, CursorMoved);
      const stale = store.commit({ state: [state(post(2, 'pia'), 'x', true)], labels: [label(post(2, 'pia'))], cursor: { name, from: 5, to: 20 } });
      await assert.rejects(stale, /no longer at 5/);
      assert.equal(await store.head(), head + 1, 'no label of a refused batch was stored');
      assert.equal((await store.activeState([post(2, 'pia')])).size, 0, 'nor its state');
      assert.equal(await store.cursor(name), 12);

      await store.commit({ state: [], labels: [], cursor: { name, from: 12, to: 30 } });
      assert.equal(await store.cursor(name), 30, 'a batch without label changes still moves the cursor');
      const other = await opened.connect();
      assert.equal(await other.cursor(name), 30, 'another connection reads it');
    });
  });
}
