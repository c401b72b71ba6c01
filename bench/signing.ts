/**
 * Label signing (secp256k1 through @atproto/crypto, the costliest step of the labelled path) on the main
 * thread and on worker threads: labels signed per second in batches of 100 (what a busy pipeline batch
 * emits), the cost per label, and the longest the main thread's event loop was held meanwhile, which is
 * what delays ingest, evaluation and subscribers while a batch is signed. BENCH_SIGNED changes the count.
 */
import os from 'node:os';
import { Secp256k1Keypair } from '@atproto/crypto';
import { LabelSigner } from '../src/label/signer.ts';

const SIGNED = Number(process.env.BENCH_SIGNED ?? 4_000);
const BATCH = 100;

const label = (n: number) => ({ uri: `at://did:plc:bench${n % 997}/app.bsky.feed.post/${n}`, cid: null, val: 'bench', neg: false, cts: new Date().toISOString(), exp: null });

export async function run(): Promise<Record<string, number | string>> {
  const keypair = await Secp256k1Keypair.create({ exportable: true });
  const identity = { did: keypair.did(), signingKey: Buffer.from(await keypair.export()).toString('hex'), mode: 'local' as const };
  const out: Record<string, number | string> = { cores: os.availableParallelism(), 'labels signed per setting': SIGNED };
  for (const threads of [...new Set([0, 1, 2, Math.min(4, os.availableParallelism())])]) {
    const signer = await LabelSigner.open(identity, threads);
    try {
      await signer.signAll(Array.from({ length: BATCH }, (_, n) => label(n))); // threads started, code warm
      // The event loop's longest gap between 1 ms ticks: how long it could not serve a socket or a timer.
      let last = performance.now();
      let stall = 0;
      const ticks = setInterval(() => {
        const now = performance.now();
        stall = Math.max(stall, now - last);
        last = now;
      }, 1);
      const started = performance.now();
      for (let i = 0; i < SIGNED; i += BATCH) {
        await signer.signAll(Array.from({ length: BATCH }, (_, j) => label(i + j)));
        // As the service does between batches: let sockets and timers be served.
        await new Promise(setImmediate);
      }
      const seconds = (performance.now() - started) / 1000;
      clearInterval(ticks);
      const name = threads ? `${threads} thread${threads > 1 ? 's' : ''}` : 'main thread';
      out[`${name} labels/s`] = Math.round(SIGNED / seconds);
      out[`${name} ms per label`] = Math.round((seconds * 1e6) / SIGNED) / 1000;
      out[`${name} longest event-loop stall ms`] = Math.round(stall * 10) / 10;
    } finally {
      await signer.close();
    }
  }
  return out;
}
