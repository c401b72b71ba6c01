import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { decideBatch, evaluateBatch } from '../src/evaluate/index.ts';
import { resolveIdentity } from '../src/label/identity.ts';
import { Labeler } from '../src/label/index.ts';
import { compileManifest, type CompiledManifest } from '../src/manifests/load.ts';
import { openDatabase } from '../src/store/database.ts';
import { post, testRegistry } from './support/test-operators.ts';

describe('explanations are paid for where they matter', () => {
  const registry = testRegistry();
  let dataDir: string;
  let labeler: Labeler;
  let manifests: CompiledManifest[];
  const labels = new Map();

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-explain-'));
    const { db } = openDatabase(path.join(dataDir, 'skysift.sqlite'));
    labeler = new Labeler({ identity: await resolveIdentity(loadConfig({ DATA_DIR: dataDir }), pino({ level: 'silent' })), db, dataDir, logger: pino({ level: 'silent' }) });
    manifests = await Promise.all(
      ['vote', 'ballot', 'moose'].map(
        async (word) => (await compileManifest(`${word}.json`, JSON.stringify({ label: { value: word }, filter: { has_word: [word] } }), { registry: registry.registry })).manifest!,
      ),
    );
  });
  after(async () => {
    await labeler.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('the label stage asks for the explanation of the verdicts that change a label, and of no other', async () => {
    const posts = Array.from({ length: 60 }, (_, i) => post(i % 20 === 0 ? `vote and ballot ${i}` : `nothing to see ${i}`, i));
    const first = await labeler.apply(await decideBatch(posts, manifests), [], labels);
    assert.equal(first.labelled.length, 6, 'three posts, two labels each');
    assert.equal(registry.calls.explained, 6, 'one explanation per label emitted, none for the 174 verdicts that changed nothing');
    const stored = (await labeler.store.forSubject(posts[0]!.uri)).find((row) => row.val === 'vote')!;
    const [reference] = await evaluateBatch([posts[0]!], manifests.slice(0, 1));
    assert.deepEqual(JSON.parse(stored.explanation), reference!.explanation, 'the stored explanation is the one a dry run prints');

    registry.calls.explained = 0;
    const again = await labeler.apply(await decideBatch(posts, manifests), [], labels);
    assert.deepEqual([again.labelled.length, again.negated.length, registry.calls.explained], [0, 0, 0], 'the same verdicts again: no change, nothing explained');

    const edited = [post('vote only now 0', 0), ...posts.slice(1)];
    const lost = await labeler.apply(await decideBatch(edited, manifests), [], labels);
    assert.deepEqual(
      lost.negated.map((row) => [row.uri, row.val]),
      [[posts[0]!.uri, 'ballot']],
    );
    assert.equal(registry.calls.explained, 1, 'only the lost match is explained');
  });
});
