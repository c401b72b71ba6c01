import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { commands } from '../src/cli/commands.ts';
import { commandHelp } from '../src/cli/main.ts';
import { progress } from '../src/cli/progress.ts';
import { runCli, spawnCli } from './support/cli.ts';

describe('skysift CLI', () => {
  it('lists every command in --help', async () => {
    const result = await runCli(['--help']);
    assert.equal(result.code, 0);
    for (const command of commands) assert.match(result.stdout, new RegExp(`\\b${command.name}\\b`));
  });

  it('prints its version', async () => {
    const result = await runCli(['--version']);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, `skysift ${JSON.parse(fs.readFileSync('package.json', 'utf8')).version}\n`);
  });

  it('explains a group of commands: skysift manifests --help', async () => {
    const result = await runCli(['manifests', '--help']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Usage: skysift manifests <command>/);
    assert.match(result.stdout, /manifests validate +Validate one manifest file or every manifest of a folder/);
    assert.match(result.stdout, /manifests schema +Print the JSON Schema/);
  });

  it('describes every option of every command, with its default', () => {
    for (const command of commands) {
      const help = commandHelp(command);
      assert.match(help, new RegExp(`^Usage: skysift ${command.name}`));
      for (const [name, option] of Object.entries(command.options ?? {})) {
        assert.ok(option.description.length > 10, `${command.name} --${name} has a description`);
        const line = help.split('\n').find((l) => l.trimStart().startsWith(`--${name}`));
        assert.ok(line?.includes(option.description), `${command.name} --${name} is listed with its description`);
        assert.match(line!, option.required ? /\(required\)$/ : /\(default: [^)]+\)$/);
      }
    }
    assert.match(commandHelp(commands.find((c) => c.name === 'train')!), /--rounds <n> +Boosting rounds \(trees\)\. \(default: 100\)/);
  });

  it('shows progress only on a terminal, redrawing one line and clearing it', () => {
    const written: string[] = [];
    const terminal = { isTTY: true, write: (s: string) => written.push(s) > 0 };
    const shown = progress('replay', terminal);
    shown.update('10 events');
    shown.update('20 events'); // within 100 ms: skipped
    shown.update('boosting 100 rounds'); // a new stage: drawn at once
    shown.done();
    assert.deepEqual(written, ['\r\x1b[2Kreplay: 10 events', '\r\x1b[2Kreplay: boosting 100 rounds', '\r\x1b[2K']);
    const piped: string[] = [];
    const pipe = progress('replay', { isTTY: false, write: (s: string) => piped.push(s) > 0 });
    pipe.update('10 events');
    pipe.done();
    assert.deepEqual(piped, []);
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

  /** Runs `skysift start`, sends SIGTERM once the log shows `waitFor`, and returns how it ended. */
  async function startThenTerminate(waitFor: string) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-start-'));
    // A closed loopback port: the test never reaches the network.
    const child = spawnCli(['start'], { DATA_DIR: dataDir, LABELER_PORT: '0', JETSTREAM_URL: 'ws://127.0.0.1:9/subscribe' });
    let stdout = '';
    child.stdout!.on('data', (d) => (stdout += d));
    while (!stdout.includes(waitFor)) await once(child.stdout!, 'data');
    child.kill('SIGTERM');
    const [code, signal] = await once(child, 'close');
    return { code, signal, dataDir, lines: stdout.trim().split('\n').map((l) => JSON.parse(l)) };
  }

  it('starts, logs its config and data directory, and stops cleanly on SIGTERM', async () => {
    const { code, dataDir, lines } = await startThenTerminate('labeler serving');
    assert.equal(code, 0);
    assert.ok(lines.some((l) => l.config?.DATA_DIR === dataDir));
    assert.ok(lines.some((l) => l.dataDir === path.resolve(dataDir)));
    assert.ok(lines.some((l) => l.msg === 'stopped'));
    assert.ok(fs.existsSync(path.join(dataDir, 'skysift.sqlite')));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps a SIGTERM that arrives while starting (docker stop right after docker run) and stops cleanly', async () => {
    const { code, signal, dataDir, lines } = await startThenTerminate('starting skysift');
    assert.deepEqual([code, signal], [0, null], 'exited by itself, not killed by the signal');
    assert.ok(lines.some((l) => l.msg === 'stopped'));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});
