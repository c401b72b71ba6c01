import { encode } from '@atcute/cbor';
import { Secp256k1Keypair } from '@atproto/crypto';
import type { LabelerIdentity } from './identity.ts';
import { unsignedLabel, type LabelFields, type SignedLabel } from './label.ts';

/**
 * Signs labels as the labeler: the DAG-CBOR encoding of the label without `sig`, signed with the
 * secp256k1 key through `@atproto/crypto` (SHA-256, low-S, compact), as the AppView and Ozone verify.
 */
export class LabelSigner {
  private constructor(
    readonly did: string,
    private readonly keypair: Secp256k1Keypair,
  ) {}

  static async open(identity: LabelerIdentity): Promise<LabelSigner> {
    return new LabelSigner(identity.did, await Secp256k1Keypair.import(identity.signingKey));
  }

  /** Signs a label of this labeler (`src` is the labeler's DID). */
  async sign(label: Omit<LabelFields, 'src'>): Promise<SignedLabel> {
    const fields = { ...label, src: this.did };
    return { ...fields, sig: await this.keypair.sign(encode(unsignedLabel(fields))), signedNegFalse: false };
  }
}
