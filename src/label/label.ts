import { toBytes, type Bytes } from '@atcute/cbor';

/** What a label says, before it is signed (`com.atproto.label.defs#label` without `ver` and `sig`). */
export interface LabelFields {
  src: string;
  uri: string;
  cid: string | null;
  val: string;
  neg: boolean;
  cts: string;
  exp: string | null;
}

/** A signed label, as the labeler issued it. */
export interface SignedLabel extends LabelFields {
  sig: Uint8Array;
  /** The signature covers an explicit `"neg": false` (labels @skyware/labeler 0.2.0 signed); false for ours. */
  signedNegFalse: boolean;
}

/** A label in the log: `id` orders the log, `seq` is the subscribeLabels event that carries it. */
export interface StoredLabel extends SignedLabel {
  id: number;
  seq: number;
}

/**
 * The label as it is signed and served: `ver` 1, and `cid`, `neg` and `exp` only when set. `neg` is
 * absent unless true, because consumers (the AppView, Ozone) store labels and rebuild them that way;
 * a signature over `"neg": false` would not verify after that round trip. Labels signed with it are
 * served with it, exactly as signed.
 */
export function unsignedLabel(label: LabelFields & { signedNegFalse?: boolean }) {
  return {
    ver: 1,
    src: label.src,
    uri: label.uri,
    ...(label.cid ? { cid: label.cid } : {}),
    val: label.val,
    ...(label.neg ? { neg: true } : label.signedNegFalse ? { neg: false } : {}),
    cts: label.cts,
    ...(label.exp ? { exp: label.exp } : {}),
  };
}

export type WireLabel = ReturnType<typeof unsignedLabel> & { sig: Bytes };

/** The label with its signature as lexicon bytes: CBOR bytes in frames, `{"$bytes": base64}` in JSON. */
export function wireLabel(label: SignedLabel): WireLabel {
  return { ...unsignedLabel(label), sig: toBytes(label.sig) };
}
