import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { ManifestWatcher } from '../src/manifests/watch.ts';

const manifest = (value: string, term: string) => JSON.stringify({ label: { value }, filter: { regex_matches: ['text', term] } });

describe('manifest hot reload', () => {
  it('picks up added, changed, broken and removed files in a real directory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-watch-'));
    fs.writeFileSync(path.join(dir, 'a.json'), manifest('alpha', 'a'));
    const watcher = new ManifestWatcher(dir, pino({ level: 'silent' }), {}, 50);
    try {
      assert.deepEqual((await watcher.start()).map((m) => m.label.value), ['alpha']);

      const added = once(watcher, 'change');
      fs.writeFileSync(path.join(dir, 'b.json'), manifest('beta', 'b'));
      assert.deepEqual((await added)[0].map((m: { label: { value: string } }) => m.label.value), ['alpha', 'beta']);

      const goodVersion = watcher.current().find((m) => m.label.value === 'beta')!.version;
      const reported = once(watcher, 'problems');
      fs.writeFileSync(path.join(dir, 'b.json'), '{"label": {"value": "beta"}, "filter": {"regex_matches": ["text", "(?<=x)"]}}');
      const [problems] = await reported;
      assert.match(problems[0].path, /^filter\.regex_matches/);
      assert.equal(watcher.current().find((m) => m.label.value === 'beta')?.version, goodVersion, 'the last good version keeps running');

      const fixed = once(watcher, 'change');
      fs.writeFileSync(path.join(dir, 'b.json'), manifest('beta', 'bb'));
      await fixed;
      assert.notEqual(watcher.current().find((m) => m.label.value === 'beta')?.version, goodVersion);

      const removed = once(watcher, 'change');
      fs.rmSync(path.join(dir, 'a.json'));
      assert.deepEqual((await removed)[0].map((m: { label: { value: string } }) => m.label.value), ['beta']);
    } finally {
      watcher.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
