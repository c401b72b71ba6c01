import type { TestBsky } from '@atproto/dev-env';
import { DidResolver, getDidKeyFromMultibase, type DidDocument } from '@atproto/identity';
import { LabelSubscriber, verifyLabel, type WireLabel } from './label-verifier.ts';

/** The did:key of a verification method (`#atproto_label`), as any ATProto client reads it from a DID document. */
export function methodKey(doc: DidDocument, fragment: string): string | undefined {
  const method = doc.verificationMethod?.find((m) => m.id === `#${fragment}` || m.id === `${doc.id}#${fragment}`);
  return method && getDidKeyFromMultibase({ type: method.type, publicKeyMultibase: method.publicKeyMultibase! });
}

/**
 * Stands in for Bluesky's label ingester, which is not open source: it follows a labeler's
 * subscribeLabels at the `#atproto_labeler` endpoint of its DID document, verifies every label against
 * the `#atproto_label` key there, and writes the AppView's `label` table as the AppView's own label
 * indexer does (bluesky-social/atproto, bsky data plane `indexLabels`): one row per (src, uri, cid,
 * val), replaced by a label with a newer cts. A label that does not verify is refused and kept aside.
 */
export class AppViewLabelBridge {
  readonly written: WireLabel[] = [];
  readonly refused: WireLabel[] = [];
  private readonly subscribers: LabelSubscriber[] = [];
  private readonly keys = new Map<string, string>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly bsky: TestBsky,
    private readonly plcUrl: string,
  ) {}

  /** Follows a labeler from seq 0. A did:key has no document: its key is itself, and its endpoint must be given. */
  async follow(did: string, endpoint?: string): Promise<void> {
    let key = did;
    let url = endpoint;
    if (!did.startsWith('did:key:')) {
      const doc = await new DidResolver({ plcUrl: this.plcUrl }).ensureResolve(did, true);
      key = methodKey(doc, 'atproto_label') ?? '';
      url ??= doc.service?.find((s) => s.id.endsWith('#atproto_labeler'))?.serviceEndpoint as string | undefined;
    }
    if (!key || !url) throw new Error(`${did} has no #atproto_label key or #atproto_labeler endpoint`);
    this.keys.set(did, key);
    const subscriber = new LabelSubscriber(url, 0);
    subscriber.onEvent = (_seq, labels) => {
      this.chain = this.chain.then(() => this.ingest(labels));
    };
    this.subscribers.push(subscriber);
    await subscriber.opened();
  }

  /** Whether a label was signed by the labeler it names as `src`, one this bridge follows, with the key of its DID document. */
  async accepts(label: WireLabel): Promise<boolean> {
    const key = this.keys.get(label.src);
    return key !== undefined && verifyLabel(label, key);
  }

  private async ingest(labels: WireLabel[]): Promise<void> {
    for (const label of labels) {
      if (!(await this.accepts(label))) {
        this.refused.push(label);
        continue;
      }
      await this.bsky.db.pool.query(
        `INSERT INTO label (src, uri, cid, val, neg, cts, exp) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT ON CONSTRAINT label_pkey DO UPDATE SET neg = excluded.neg, cts = excluded.cts, exp = excluded.exp
         WHERE label.cts < excluded.cts`,
        [label.src, label.uri, label.cid ?? '', label.val, Boolean(label.neg), label.cts, label.exp ?? null],
      );
      this.written.push(label);
    }
  }

  /** Resolves once `count` labels have been written (or refused). */
  async waitFor(count: number, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.written.length + this.refused.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} labels through the bridge, got ${this.written.length} (${this.refused.length} refused)`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.chain;
  }

  close(): void {
    for (const subscriber of this.subscribers) subscriber.close();
  }
}
