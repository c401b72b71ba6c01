import { AtpAgent } from '@atproto/api';
import { verifySignature } from '@atproto/crypto';
import { encode } from '@ipld/dag-cbor';
import { decodeFirst } from 'cborg';
import WebSocket from 'ws';

/** A label as it travels, with its signature. */
export interface WireLabel {
  ver?: number;
  src: string;
  uri: string;
  cid?: string;
  val: string;
  neg?: boolean;
  cts: string;
  exp?: string;
  sig: Uint8Array;
}

/**
 * Verifies a label independently of the labeler's code: re-encode it without `sig` as DAG-CBOR and
 * check the signature against the key of its `src` (for a did:key, the DID is the key).
 */
export async function verifyLabel(label: WireLabel, didKey = label.src): Promise<boolean> {
  const { sig, ...unsigned } = label;
  return verifySignature(didKey, encode({ ...unsigned, ver: unsigned.ver ?? 1 }), sig);
}

/** Every label `queryLabels` returns for the patterns, following cursors, through @atproto/api. */
export async function queryAllLabels(service: string, uriPatterns: string[] = ['*']): Promise<Record<string, unknown>[]> {
  const agent = new AtpAgent({ service });
  const out: Record<string, unknown>[] = [];
  let cursor: string | undefined;
  for (;;) {
    const { data } = await agent.com.atproto.label.queryLabels({ uriPatterns, cursor, limit: 250 });
    out.push(...(data.labels as unknown as Record<string, unknown>[]));
    if (!data.labels.length || data.cursor === cursor) return out;
    cursor = data.cursor;
  }
}

/**
 * A label as a consumer that stores labels rebuilds it (the AppView's and Ozone's label tables have a
 * boolean `neg` and no `ver`): `neg` only when true. A label signed over `"neg": false` no longer verifies.
 */
export function roundTripped(label: WireLabel): WireLabel {
  const { neg, ...rest } = label;
  return { ...rest, ver: 1, ...(neg ? { neg: true } : {}) };
}

/** A `subscribeLabels` client that decodes each frame (a CBOR header, then a CBOR body). */
export class LabelSubscriber {
  readonly labels: WireLabel[] = [];
  readonly seqs: number[] = [];
  /** The seq of each `#labels` event, in arrival order. */
  readonly events: number[] = [];
  /** `#info` bodies and error frames, in arrival order. */
  readonly infos: { name: string; message?: string }[] = [];
  readonly errors: { error: string; message?: string }[] = [];
  /** `performance.now()` at the arrival of each label (latency measurements). */
  readonly arrivals: number[] = [];
  /** The close code, once closed. */
  closeCode: number | undefined;
  /** Called with each `#labels` event as it arrives. */
  onEvent?: (seq: number, labels: WireLabel[]) => void;
  readonly socket: WebSocket;
  private waiters: (() => void)[] = [];

  constructor(service: string, cursor?: number | string) {
    const url = new URL('/xrpc/com.atproto.label.subscribeLabels', service.replace(/^http/, 'ws'));
    if (cursor !== undefined) url.searchParams.set('cursor', String(cursor));
    this.socket = new WebSocket(url);
    this.socket.on('message', (data: Buffer) => {
      const [header, rest] = decodeFirst(new Uint8Array(data)) as [{ op: number; t?: string }, Uint8Array];
      const [body] = decodeFirst(rest) as [Record<string, unknown>, Uint8Array];
      if (header.op === -1) this.errors.push(body as { error: string; message?: string });
      else if (header.t === '#info') this.infos.push(body as { name: string; message?: string });
      else if (header.t === '#labels') {
        const { seq, labels } = body as { seq: number; labels: WireLabel[] };
        this.events.push(seq);
        this.onEvent?.(seq, labels);
        for (const label of labels) {
          this.labels.push(label);
          this.seqs.push(seq);
          this.arrivals.push(performance.now());
        }
      }
      this.wake();
    });
    this.socket.on('close', (code) => {
      this.closeCode = code;
      this.wake();
    });
    this.socket.on('error', () => this.wake());
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.readyState === WebSocket.OPEN) resolve();
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
  }

  /** Resolves once `count` labels have arrived, or rejects after `ms`. */
  waitFor(count: number, ms = 5000): Promise<void> {
    return this.until(() => this.labels.length >= count, `${count} labels, got ${this.labels.length}`, ms);
  }

  /** Resolves once the server has closed the stream. */
  closed(ms = 5000): Promise<number> {
    return this.until(() => this.closeCode !== undefined, 'the stream to close', ms).then(() => this.closeCode!);
  }

  private async until(condition: () => boolean, what: string, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`expected ${what}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  close(): void {
    this.socket.close();
  }
}

/** A subscriber to the service at `url`, connecting as soon as it listens (its process, `child`, still running). */
export async function subscribeWhenUp(url: string, cursor: number, child: { exitCode: number | null }): Promise<LabelSubscriber> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline && child.exitCode === null; ) {
    const subscriber = new LabelSubscriber(url, cursor);
    if (await subscriber.opened().then(() => true, () => false)) return subscriber;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not serve subscribeLabels within 60 s`);
}
