/**
 * A signing thread (src/label/signing-threads.ts): holds the labeler's key and signs the encoded labels
 * it is sent, in order, as `LabelSigner` does on the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Secp256k1Keypair } from '@atproto/crypto';

export interface SignRequest {
  id: number;
  payloads: Uint8Array[];
}

export type SignReply = { id: number; sigs: Uint8Array[] } | { id: number; error: string };

const keypair = await Secp256k1Keypair.import((workerData as { signingKey: string }).signingKey);

parentPort!.on('message', async ({ id, payloads }: SignRequest) => {
  try {
    const sigs: Uint8Array[] = [];
    for (const payload of payloads) sigs.push(await keypair.sign(payload));
    parentPort!.postMessage({ id, sigs } satisfies SignReply);
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) } satisfies SignReply);
  }
});
