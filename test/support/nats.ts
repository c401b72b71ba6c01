import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from './ports.ts';

export interface TestNats {
  url: string;
  stop(): Promise<void>;
}

/** A NATS server with JetStream on loopback, its store in a temp dir (nats-server from Debian: `apt-get install nats-server`). */
export async function startTestNats(): Promise<TestNats> {
  if (spawnSync('nats-server', ['--version']).error) throw new Error('nats-server is not installed: apt-get install nats-server (.ci/run does)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-nats-'));
  const port = await freePort();
  let log = '';
  const child = spawn('nats-server', ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  await waitForPort(port, child, () => log, 'nats-server');
  return {
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      process.off('exit', killOnExit);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
