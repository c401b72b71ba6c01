import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { AtpAgent } from '@atproto/api';
import { Secp256k1Keypair } from '@atproto/crypto';
import type { TestNetworkNoAppView } from '@atproto/dev-env';
import { runCli } from './cli.ts';

export interface LabelerAccount {
  did: string;
  /** The environment of a labeler service and CLI for this account (DATA_DIR, manifests, keys, port). */
  env: Record<string, string>;
}

/**
 * A labeler account on a dev-env network, set up as an operator does it: the account created on the
 * PDS, `skysift setup` (the code read from the PDS's email tokens), then `skysift declare`. Its DID
 * document names `http://127.0.0.1:<port>` as the #atproto_labeler service. The manifests are written
 * to `<dataDir>/manifests`.
 */
export async function setUpLabelerAccount(
  network: TestNetworkNoAppView,
  options: { dataDir: string; port: number; manifests: Record<string, object>; env?: Record<string, string> },
): Promise<LabelerAccount> {
  const account = new AtpAgent({ service: network.pds.url });
  await account.createAccount({ handle: 'labeler.test', email: 'labeler@skysift.test', password: 'labeler-account-pw' });
  const did = account.session!.did;
  const manifestsDir = path.join(options.dataDir, 'manifests');
  fs.mkdirSync(manifestsDir, { recursive: true });
  for (const [file, manifest] of Object.entries(options.manifests)) fs.writeFileSync(path.join(manifestsDir, file), JSON.stringify(manifest));
  const keypair = await Secp256k1Keypair.create({ exportable: true });
  const env = {
    DATA_DIR: options.dataDir,
    MANIFESTS_DIR: manifestsDir,
    LOG_LEVEL: 'silent',
    LABELER_DID: did,
    LABELER_SIGNING_KEY: Buffer.from(await keypair.export()).toString('hex'),
    LABELER_HANDLE: 'labeler.test',
    LABELER_PASSWORD: 'labeler-account-pw',
    LABELER_PDS_URL: network.pds.url,
    LABELER_PLC_URL: network.plc.url,
    LABELER_PUBLIC_URL: `http://127.0.0.1:${options.port}`,
    LABELER_PORT: String(options.port),
    ...options.env,
  };
  const request = await runCli(['setup'], env);
  assert.equal(request.code, 0, request.stderr);
  const [emailed] = await network.pds.ctx.accountManager.db.db
    .selectFrom('email_token')
    .select('token')
    .where('did', '=', did as `did:${string}:${string}`)
    .execute();
  const confirm = await runCli(['setup', '--token', emailed!.token], env);
  assert.equal(confirm.code, 0, confirm.stderr);
  const declare = await runCli(['declare'], env);
  assert.equal(declare.code, 0, declare.stderr);
  return { did, env };
}

/** Jetstream events of a repository's records, as the PDS stored them, with increasing `time_us`. */
export class RecordEvents {
  private time = 1_790_000_000_000_000;

  constructor(private readonly agent: AtpAgent) {}

  /** The Jetstream event for a record (create or update), or its deletion. */
  async of(uri: string, operation: 'create' | 'update' | 'delete') {
    const [, , did, collection, rkey] = uri.split('/');
    const commit = { operation, collection, rkey, rev: `rev${this.time}` };
    if (operation === 'delete') return { kind: 'commit', did, time_us: this.time++, commit };
    const { data } = await this.agent.com.atproto.repo.getRecord({ repo: did!, collection: collection!, rkey: rkey! });
    return { kind: 'commit', did, time_us: this.time++, commit: { ...commit, cid: data.cid, record: data.value } };
  }
}
