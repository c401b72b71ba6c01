import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Secp256k1Keypair } from '@atproto/crypto';
import pg from 'pg';
import { amplifiedCapture, expectedActiveLabels, freePort } from './support/capture.ts';
import { ROOT, stopCli } from './support/cli.ts';
import { imageEnvironment, interpolate, loadCompose } from './support/compose.ts';
import { JetstreamReplayServer } from './support/jetstream-server.ts';
import { subscribeWhenUp, type LabelSubscriber } from './support/label-verifier.ts';
import { waitForPort } from './support/ports.ts';
import { startTestPostgres } from './support/postgres.ts';
import { until } from './support/until.ts';

/** The port skysift serves on inside its container (the image's default LABELER_PORT). */
const CONTAINER_PORT = '14831';

/**
 * There is no Docker here (nor a registry to pull images from), so compose.yaml is run as compose would run
 * it, with processes in place of containers: every service, its command, its environment (the image's, then
 * compose's, interpolated from the operator's secrets) and its dependencies, each container's host name and
 * port mapped to a port on loopback, each volume to a directory. What this cannot check is the image build.
 */
describe('compose.yaml, run without Docker', () => {
  it('runs its layout with its commands and settings, and serves the labels a single process leaves active', async () => {
    const services = loadCompose();
    const names = Object.keys(services);
    const natsServers = names.filter((n) => services[n]!.image?.startsWith('nats:'));
    const roles = names.filter((n) => services[n]!.build !== undefined);
    assert.deepEqual(natsServers, ['nats-1', 'nats-2', 'nats-3']);
    assert.deepEqual(roles.map((n) => services[n]!.command!.at(-1)).sort(), ['ingest', 'ingest', 'labels', 'labels', 'worker', 'worker', 'worker']);

    const keypair = await Secp256k1Keypair.create({ exportable: true });
    const secrets = { POSTGRES_PASSWORD: `pw${randomBytes(8).toString('hex')}`, LABELER_DID: keypair.did(), LABELER_SIGNING_KEY: Buffer.from(await keypair.export()).toString('hex') };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-compose-'));
    /** "host:port" inside the compose network → the loopback port standing in for it. */
    const address = new Map<string, number>();
    for (const name of natsServers) {
      address.set(`${name}:4222`, await freePort());
      address.set(`${name}:6222`, await freePort());
    }
    const onLoopback = (text: string) => text.replace(/\b([a-z][\w-]*):(\d+)\b/g, (whole, host: string, port: string) => (address.has(`${host}:${port}`) ? `127.0.0.1:${address.get(`${host}:${port}`)}` : whole));
    const children = new Map<string, ChildProcess>();
    const logs = new Map<string, string>();
    const start = (name: string, file: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
      const child = spawn(file, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      logs.set(name, '');
      const log = (d: Buffer) => logs.set(name, (logs.get(name)! + d).slice(-20_000));
      child.stdout!.on('data', log);
      child.stderr!.on('data', log);
      children.set(name, child);
      return child;
    };
    const logsOf = () => [...logs].map(([name, log]) => `--- ${name} (exit ${children.get(name)?.exitCode})\n${log}`).join('\n');

    // postgres: its role and database as the image's environment creates them; "healthy" once it takes queries.
    const postgres = await startTestPostgres();
    const server = new URL(postgres.url);
    address.set('postgres:5432', Number(server.port));
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    const db = services.postgres!.environment!;
    await admin.query(`CREATE ROLE ${db.POSTGRES_USER} LOGIN PASSWORD '${interpolate(db.POSTGRES_PASSWORD!, secrets)}'`);
    await admin.query(`CREATE DATABASE ${db.POSTGRES_DB} OWNER ${db.POSTGRES_USER}`);
    await admin.end();

    const jetstream = await JetstreamReplayServer.serveEvents(amplifiedCapture(4));
    jetstream.pace = { every: 40, ms: 20 };
    const subscribers: LabelSubscriber[] = [];
    let store: pg.Client | undefined;
    try {
      for (const name of natsServers) {
        const args = services[name]!.command!.map((arg, i, all) => {
          if (all[i - 1] === '-sd') return path.join(dir, name);
          if (all[i - 1] === '--cluster') return arg.replace('0.0.0.0:6222', `127.0.0.1:${address.get(`${name}:6222`)}`);
          return onLoopback(arg);
        });
        const child = start(name, 'nats-server', [...args, '-a', '127.0.0.1', '-p', String(address.get(`${name}:4222`))]);
        await waitForPort(address.get(`${name}:4222`)!, child, () => logs.get(name)!, name);
      }

      // The roles, started together once what they depend on is up, as compose starts them.
      const ports = new Map<string, number>();
      for (const name of roles) {
        const service = services[name]!;
        for (const dependency of Object.keys(service.depends_on ?? {})) assert.ok(address.has(`${dependency}:4222`) || dependency === 'postgres', `${name} depends on ${dependency}, which runs`);
        const environment = Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, onLoopback(interpolate(value, secrets))]));
        ports.set(name, await freePort());
        const volume = path.join(dir, name);
        fs.mkdirSync(volume);
        const env = {
          PATH: process.env.PATH,
          ...imageEnvironment(),
          ...environment,
          // The container's /data volume, its port 14831 and its own network interface, on this host.
          DATA_DIR: volume,
          LABELER_PORT: String(ports.get(name)),
          LABELER_HOST: '127.0.0.1',
          // Jetstream's public endpoint (the default) cannot be reached from a test: the recorded capture instead.
          JETSTREAM_URL: jetstream.url,
        };
        const [program, ...args] = service.command!;
        assert.equal(program, 'node');
        start(name, process.execPath, args, env);
      }
      const health = async (name: string) => (await fetch(`http://127.0.0.1:${ports.get(name)}/health`).then((r) => r.json() as Promise<{ role?: string; partitions?: number[]; own?: number[] }>, () => undefined));
      for (const name of roles) {
        await until(async () => (await health(name)) !== undefined || children.get(name)!.exitCode !== null, { ms: 120_000, what: `${name} to serve /health` });
        assert.equal(children.get(name)!.exitCode, null, `${name} runs:\n${logsOf()}`);
        assert.equal((await health(name))!.role, services[name]!.command!.at(-1), `${name} serves its role`);
      }
      for (const name of roles.filter((n) => n.startsWith('labels-'))) subscribers.push(await subscribeWhenUp(`http://127.0.0.1:${ports.get(name)}`, 0, children.get(name)!));

      const expected = await expectedActiveLabels(amplifiedCapture(4));
      store = new pg.Client({ connectionString: onLoopback(interpolate(services['worker-1']!.environment!.DATABASE_URL!, secrets)) });
      await store.connect();
      const active = async () => (await store!.query<{ k: string }>("SELECT uri || ' ' || val AS k FROM label_state WHERE active")).rows.map((r) => r.k).sort();
      await until(async () => (await active()).length >= expected.length, { ms: 120_000, what: 'the layout to label the capture' }).catch((error: Error) => {
        throw new Error(`${error.message}\n${logsOf()}`);
      });
      await new Promise((r) => setTimeout(r, 1_000));
      assert.deepEqual(await active(), expected, 'the active labels of a single-process evaluation');
      const stored = Number((await store.query<{ n: string }>('SELECT count(*) AS n FROM labels')).rows[0]!.n);
      for (const subscriber of subscribers) {
        await subscriber.waitFor(stored, 30_000);
        assert.equal(subscriber.labels.length, stored, 'each label server sends every label once');
      }
      for (const name of roles.filter((n) => n.startsWith('worker-'))) {
        const own = services[name]!.environment!.WORKER_PARTITIONS!.split(',').map(Number);
        // A worker that started late finds its partitions taken over by the others, and gets them back.
        await until(async () => JSON.stringify((await health(name))?.partitions) === JSON.stringify(own), { ms: 60_000, what: `${name} to read its partitions ${own}` });
      }
    } finally {
      for (const subscriber of subscribers) subscriber.close();
      await store?.end();
      // As `docker compose down`: the roles first, then what they depend on.
      await Promise.all(roles.map((name) => children.get(name)).map((child) => child && stopCli(child)));
      await Promise.all([...children.values()].map(stopCli));
      await jetstream.close();
      await postgres.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
