import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort, waitForPort } from './ports.ts';
import { until } from './until.ts';

export interface TestNats {
  /** Every server's client URL, comma-separated (NATS_URL). */
  url: string;
  /** The servers by name (`n0`, `n1`, …), each killable on its own. */
  servers: Map<string, ChildProcess>;
  stop(): Promise<void>;
}

/**
 * NATS servers with JetStream on loopback, their stores in a temp dir (nats-server from Debian:
 * `apt-get install nats-server`). With `size` > 1 they form one cluster over routes, and this resolves
 * once JetStream has elected its meta leader and answers.
 */
export async function startTestNats(size = 1): Promise<TestNats> {
  if (spawnSync('nats-server', ['--version']).error) throw new Error('nats-server is not installed: apt-get install nats-server (.ci/run does)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-nats-'));
  const ports = await Promise.all(Array.from({ length: size }, async () => ({ client: await freePort(), route: await freePort() })));
  const servers = new Map<string, ChildProcess>();
  const killAll = () => {
    for (const child of servers.values()) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const stop = async () => {
    await Promise.all(
      [...servers.values()].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }),
    );
    process.off('exit', killAll);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const url = ports.map((p) => `nats://127.0.0.1:${p.client}`).join(',');
  try {
    await Promise.all(
      ports.map(async ({ client, route }, i) => {
        const name = `n${i}`;
        const args = ['-js', '-sd', path.join(dir, name), '-n', name, '-a', '127.0.0.1', '-p', String(client)];
        if (size > 1) {
          const routes = ports.filter((_, j) => j !== i).map((p) => `nats://127.0.0.1:${p.route}`);
          args.push('--cluster_name', 'skysift', '--cluster', `nats://127.0.0.1:${route}`, '--routes', routes.join(','));
        }
        let log = '';
        const child = spawn('nats-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout!.on('data', (d) => (log += d));
        child.stderr!.on('data', (d) => (log += d));
        servers.set(name, child);
        await waitForPort(client, child, () => log, `nats-server ${name}`);
      }),
    );
    const connection = await connect({ servers: url.split(',') });
    try {
      // jetstreamManager asks JetStream for the account, which fails until the cluster has a meta leader.
      await until(() => jetstreamManager(connection).then(() => true, () => false), { what: 'JetStream to elect its meta leader', ms: 60_000 });
    } finally {
      await connection.close();
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, servers, stop };
}
