import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A PostgreSQL server for tests that need one (`@atproto/dev-env`'s AppView). */
export interface TestPostgres {
  url: string;
  stop(): Promise<void>;
}

/** Finds `name` on PATH or in Debian's `/usr/lib/postgresql/<version>/bin`. */
function binary(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  const debian = '/usr/lib/postgresql';
  const versions = fs.existsSync(debian) ? fs.readdirSync(debian).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const candidate = path.join(debian, version, 'bin', name);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`${name} not found on PATH or under ${debian}/*/bin: install PostgreSQL (see .ci/run)`);
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}:\n${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(socket.end() && true));
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`postgres did not listen on ${port} within 30 s:\n${log()}`);
}

/**
 * Uses `DB_POSTGRES_URL` when set; otherwise starts a throwaway server on loopback with its data and
 * socket directory in a temp dir. PostgreSQL refuses to run as root, so as root it runs as the
 * `postgres` user.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  if (process.env.DB_POSTGRES_URL) return { url: process.env.DB_POSTGRES_URL, stop: async () => {} };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-pg-'));
  const user: { uid?: number; gid?: number } = {};
  if (process.getuid?.() === 0) {
    user.uid = Number(execFileSync('id', ['-u', 'postgres']));
    user.gid = Number(execFileSync('id', ['-g', 'postgres']));
    fs.chownSync(dir, user.uid, user.gid);
  }
  const data = path.join(dir, 'data');
  execFileSync(binary('initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync'], { stdio: 'pipe', ...user });
  const port = await freePort();
  let log = '';
  const child = spawn(binary('postgres'), ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-F', '-c', 'max_connections=200'], { stdio: ['ignore', 'pipe', 'pipe'], ...user });
  child.stdout!.on('data', (chunk) => (log += chunk));
  child.stderr!.on('data', (chunk) => (log += chunk));
  // A test process that dies without stop() must not leave the server behind.
  const killOnExit = () => child.kill('SIGINT');
  process.once('exit', killOnExit);
  await waitForPort(port, child, () => log);
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        // SIGINT is postgres' "fast shutdown".
        child.kill('SIGINT');
        await exited;
      }
      process.off('exit', killOnExit);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
