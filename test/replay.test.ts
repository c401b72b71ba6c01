import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from './support/cli.ts';
import { fixture } from './support/fixtures.ts';

describe('skysift replay', () => {
  it('labels a recorded capture as the dry run says, and a second replay emits nothing new', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-replay-'));
    const capture = fixture('jetstream/expected_v1.jsonl');
    try {
      const dry = await runCli(['evaluate', 'manifests', capture]);
      const matched = dry.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((v) => v.matched);
      const perLabel: Record<string, { labelled: number; negated: number }> = {};
      for (const v of matched) (perLabel[v.label] ??= { labelled: 0, negated: 0 }).labelled++;
      assert.ok(Object.keys(perLabel).length >= 2, 'the capture labels more than one label');
      const first = await runCli(['replay', capture], { DATA_DIR: dataDir });
      assert.equal(first.code, 0, first.stderr);
      assert.deepEqual(JSON.parse(first.stdout), { events: 152, malformedLines: 0, labelled: matched.length, negated: 0, labels: perLabel });
      assert.doesNotMatch(first.stderr, /replay: \d/, 'no progress line when stderr is not a terminal');
      const second = await runCli(['replay', capture], { DATA_DIR: dataDir });
      assert.deepEqual(JSON.parse(second.stdout), { events: 152, malformedLines: 0, labelled: 0, negated: 0, labels: {} });
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
