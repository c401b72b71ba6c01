import { encode } from '@atcute/cbor';
import { Secp256k1Keypair } from '@atproto/crypto';
import type { LabelerIdentity } from './identity.ts';
import { unsignedLabel, type LabelFields, type SignedLabel } from './label.ts';
import { SigningThreads } from './signing-threads.ts';

/**
 * Signs labels as the labeler: the DAG-CBOR encoding of the label without `sig`, signed with the
 * secp256k1 key through `@atproto/crypto` (SHA-256, low-S, compact), as the AppView and Ozone verify.
 * With `threads`, the signing itself runs on that many worker threads; the signatures are the same
 * (deterministic nonces) and come back in the order of the labels.
 */
export class LabelSigner {
  private constructor(
    readonly did: string,
    private readonly keypair: Secp256k1Keypair,
    private readonly threads: SigningThreads | undefined,
  ) {}

  static async open(identity: LabelerIdentity, threads = 0): Promise<LabelSigner> {
    const keypair = await Secp256k1Keypair.import(identity.signingKey);
    return new LabelSigner(identity.did, keypair, threads > 0 ? new SigningThreads(identity.signingKey, threads) : undefined);
  }

  /** Signs labels of this labeler (`src` is the labeler's DID), in order. */
  async signAll(labels: readonly Omit<LabelFields, 'src'>[]): Promise<SignedLabel[]> {
    const fields = labels.map((label) => ({ ...label, src: this.did }));
    const payloads = fields.map((f) => encode(unsignedLabel(f)));
    const sigs = this.threads ? await this.threads.sign(payloads) : await Promise.all(payloads.map((p) => this.keypair.sign(p)));
    return fields.map((f, i) => ({ ...f, sig: sigs[i]!, signedNegFalse: false }));
  }

  async close(): Promise<void> {
    await this.threads?.close();
  }
}
