import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Secp256k1Keypair } from '@atproto/crypto';
import pino from 'pino';
import WebSocket from 'ws';
import { loadConfig, SECRET_KEYS } from '../src/config.ts';
import { resolveIdentity } from '../src/label/identity.ts';
import { Labeler } from '../src/label/index.ts';
import { createLogger } from '../src/log.ts';
import { BODY_LIMIT_BYTES, MAX_HEADER_BYTES, WEBSOCKET_MAX_PAYLOAD_BYTES } from '../src/label/server.ts';
import { openDatabase } from '../src/store/database.ts';
import { spawnCli } from './support/cli.ts';
import { JetstreamReplayServer } from './support/jetstream-server.ts';
import { queryAllLabels } from './support/label-verifier.ts';
import { fixture } from './support/fixtures.ts';

const EMIT_EVENT = '/xrpc/tools.ozone.moderation.emitEvent';

/** An unsigned-looking JWT claiming `iss`: enough to see who is refused before any verification. */
function jwtClaiming(iss: string, aud: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'ES256K', typ: 'JWT' })}.${part({ iss, aud, lxm: 'tools.ozone.moderation.emitEvent', exp: Math.floor(Date.now() / 1000) + 60 })}.${Buffer.alloc(64, 1).toString('base64url')}`;
}

const emitBody = (did: string) => ({
  event: { $type: 'tools.ozone.moderation.defs#modEventLabel', createLabelVals: ['spam'], negateLabelVals: [] },
  subject: { $type: 'com.atproto.admin.defs#repoRef', did: 'did:plc:victim' },
  createdBy: did,
});

describe('labeler HTTP surface: what is served, and how big a request may be', () => {
  let dataDir: string;
  let labeler: Labeler;
  let url: string;
  let did: string;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-security-'));
    const identity = await resolveIdentity(loadConfig({ DATA_DIR: dataDir }), pino({ level: 'silent' }));
    did = identity.did;
    labeler = new Labeler({ identity, db: openDatabase(path.join(dataDir, 'skysift.sqlite')).db, dataDir, logger: pino({ level: 'silent' }) });
    url = (await labeler.start(0, '127.0.0.1')).replace('0.0.0.0', '127.0.0.1');
  });
  after(async () => {
    await labeler.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${EMIT_EVENT}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('serves no emitEvent: nobody can create labels over HTTP, and no token makes it resolve a DID (no outbound request)', async () => {
    let connections = 0;
    const trap = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    const port = (trap.address() as net.AddressInfo).port;
    try {
      for (const iss of [did, `did:web:127.0.0.1%3A${port}`]) {
        const res = await post(emitBody(did), { authorization: `Bearer ${jwtClaiming(iss, did)}` });
        assert.equal(res.status, 501);
        assert.equal(((await res.json()) as { error: string }).error, 'MethodNotImplemented');
      }
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(connections, 0);
      assert.deepEqual(await queryAllLabels(url), []);
    } finally {
      trap.close();
    }
  });

  it('refuses bodies over the limit with 413, before any handler', async () => {
    const res = await post({ ...emitBody(did), padding: 'x'.repeat(BODY_LIMIT_BYTES) });
    assert.equal(res.status, 413);
  });

  it('bounds GET routes by the header size limit', async () => {
    const res = await fetch(`${url}/xrpc/com.atproto.label.queryLabels?uriPatterns=${'a'.repeat(MAX_HEADER_BYTES)}`);
    assert.equal(res.status, 431);
  });

  it('closes a subscribeLabels socket that sends an oversized frame', async () => {
    const socket = new WebSocket(`${url.replace('http', 'ws')}/xrpc/com.atproto.label.subscribeLabels`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    socket.send(Buffer.alloc(WEBSOCKET_MAX_PAYLOAD_BYTES + 1));
    assert.equal(await closed, 1009);
  });
});

describe('secrets never reach the logs', () => {
  it('the logger itself redacts every secret setting, even in a config logged without redactConfig', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { destination: { write: (line: string) => void lines.push(line) } });
    const secrets = Object.fromEntries([...SECRET_KEYS].map((key) => [key, `sentinel-${key.toLowerCase()}-41c2`]));
    logger.info({ config: secrets }, 'starting');
    assert.equal(lines.length, 1);
    for (const [key, value] of Object.entries(secrets)) assert.ok(!lines[0]!.includes(value), `${key} appeared in the log line`);
  });

  it('runs the service at trace level with every secret set and finds none of them in its output', async () => {
    const server = await JetstreamReplayServer.start([fixture('jetstream/expected_v1.jsonl')]);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skysift-secrets-'));
    const keypair = await Secp256k1Keypair.create({ exportable: true });
    const signingKey = Buffer.from(await keypair.export()).toString('hex');
    const secrets: Record<string, string> = Object.fromEntries([...SECRET_KEYS].map((key) => [key, `sentinel-${key.toLowerCase()}-7f3a9c`]));
    secrets.LABELER_SIGNING_KEY = signingKey;
    const child = spawnCli(['start'], { ...secrets, LABELER_DID: keypair.did(), DATA_DIR: dataDir, LABELER_PORT: '0', JETSTREAM_URL: server.url, LOG_LEVEL: 'trace' });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    try {
      const deadline = Date.now() + 30_000;
      while (!/"msg":"labeler serving/.test(output) || !/"labelled":[1-9]/.test(output)) {
        if (Date.now() > deadline || child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const address = /"address":"http:\/\/[^:]+:(\d+)"/.exec(output);
      assert.ok(address, `the service started:\n${output.slice(-2000)}`);
      const base = `http://127.0.0.1:${address[1]}`;
      await fetch(`${base}/health`);
      await fetch(`${base}/metrics`);
      await fetch(`${base}${EMIT_EVENT}`, { method: 'POST', headers: { authorization: `Bearer ${jwtClaiming(keypair.did(), keypair.did())}`, 'content-type': 'application/json' }, body: '{}' });
      assert.ok((await queryAllLabels(base)).length > 0, 'the service labelled posts, so signing code ran');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('close', resolve));
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    assert.match(output, /\[redacted\]/);
    for (const [key, value] of Object.entries(secrets)) assert.ok(!output.includes(value), `${key} appeared in the logs`);
  });
});
