/**
 * A signing thread (src/label/signing-threads.ts): holds the labeler's key and signs the encoded labels
 * it is sent, in order, as `LabelSigner` does on the main thread.
 */
import { workerData } from 'node:worker_threads';
import { Secp256k1Keypair } from '@atproto/crypto';
import { serveRequests } from '../threads.ts';

export interface SignRequest {
  payloads: Uint8Array[];
}

const keypair = await Secp256k1Keypair.import((workerData as { signingKey: string }).signingKey);

serveRequests(async ({ payloads }: SignRequest) => {
  const sigs: Uint8Array[] = [];
  for (const payload of payloads) sigs.push(await keypair.sign(payload));
  return sigs;
});
