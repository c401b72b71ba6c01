import fs from 'node:fs';
import path from 'node:path';
import { Secp256k1Keypair } from '@atproto/crypto';
import { readSecret, type Config } from '../config.ts';
import type { Logger } from '../log.ts';

/** Who signs the labels: the DID labels carry as `src`, and the secp256k1 private key (hex). */
export interface LabelerIdentity {
  did: string;
  signingKey: string;
  mode: 'production' | 'local';
}

const LOCAL_KEY_FILE = 'labeler-signing-key.hex';

/**
 * Production: `LABELER_DID` with `LABELER_SIGNING_KEY` (or `_FILE`). With neither, local mode: a key
 * made once under DATA_DIR, and labels signed as its did:key. Half a production identity is an error.
 */
export async function resolveIdentity(config: Config, logger: Logger): Promise<LabelerIdentity> {
  const key = readSecret(config, 'LABELER_SIGNING_KEY')?.trim();
  if (config.LABELER_DID && key) {
    await Secp256k1Keypair.import(key).catch(() => {
      throw new Error('LABELER_SIGNING_KEY is not a secp256k1 private key in hex');
    });
    return { did: config.LABELER_DID, signingKey: key, mode: 'production' };
  }
  if (config.LABELER_DID || key) throw new Error('set both LABELER_DID and LABELER_SIGNING_KEY (or LABELER_SIGNING_KEY_FILE), or neither for local mode');
  const file = path.join(config.DATA_DIR, LOCAL_KEY_FILE);
  if (!fs.existsSync(file)) {
    const keypair = await Secp256k1Keypair.create({ exportable: true });
    fs.mkdirSync(config.DATA_DIR, { recursive: true });
    fs.writeFileSync(file, Buffer.from(await keypair.export()).toString('hex'), { mode: 0o600 });
  }
  const signingKey = fs.readFileSync(file, 'utf8').trim();
  const did = (await Secp256k1Keypair.import(signingKey)).did();
  logger.warn(
    { did, keyFile: file },
    'local mode: labels are signed with a key made for this data directory, as its did:key; set LABELER_DID and LABELER_SIGNING_KEY to label as your labeler account',
  );
  return { did, signingKey, mode: 'local' };
}
