import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { commands } from '../src/cli/commands.ts';
import { runCli, spawnCli } from './support/cli.ts';

describe('skysift CLI', () => {
  it('lists every command in --help', async () => {
    const result = await runCli(['--help']);
    assert.equal(result.code, 0);
    for (const command of commands) assert.match(result.stdout, new RegExp(`\\b${command.name}\\b`));
  });

  it('rejects an unknown command with exit code 2', async () => {
    const result = await runCli(['frobnicate']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown command 'frobnicate'/);
  });

  it('rejects an unknown flag with exit code 2 and the usage line', async () => {
    const result = await runCli(['start', '--no-such-flag']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Unknown option '--no-such-flag'/);
    assert.match(result.stderr, /Usage: skysift start/);
  });

  it('reports every invalid setting at once and exits 1', async () => {
    const result = await runCli(['start'], { LOG_LEVEL: 'loud', LABELER_PORT: 'eighty' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /LOG_LEVEL: /);
    assert.match(result.stderr, /LABELER_PORT: /);
  });

  it('starts, logs its config and data directory, and stops cleanly on SIGTERM', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-start-'));
    // A closed loopback port: the test never reaches the network.
    const child = spawnCli(['start'], { DATA_DIR: dataDir, LABELER_PORT: '0', JETSTREAM_URL: 'ws://127.0.0.1:9/subscribe' });
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    while (!stdout.includes('labeler serving')) await once(child.stdout!, 'data');
    child.kill('SIGTERM');
    const [code] = await once(child, 'close');
    assert.equal(code, 0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(lines.some((l) => l.config?.DATA_DIR === dataDir));
    assert.ok(lines.some((l) => l.dataDir === path.resolve(dataDir)));
    assert.ok(lines.some((l) => l.msg === 'stopped'));
    assert.ok(fs.existsSync(path.join(dataDir, 'skysift.sqlite')));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});
