import { ThreadPool } from '../threads.ts';
import type { SignRequest } from './signing-worker.ts';

/**
 * Worker threads that sign encoded labels with the labeler's key (secp256k1, ~0.36 ms a label, the
 * costliest step of the labelled path), so that signing uses every core and leaves the main thread to
 * ingest, evaluate and serve. A batch is split into contiguous runs, one per thread, and put back
 * together in order; a thread that dies fails its run, so that batch is not committed and nothing is lost.
 */
export class SigningThreads {
  private readonly pool: ThreadPool<SignRequest, Uint8Array[]>;

  constructor(signingKey: string, size: number) {
    this.pool = new ThreadPool<SignRequest, Uint8Array[]>({ module: new URL('./signing-worker.ts', import.meta.url), workerData: { signingKey }, name: 'signing', size }).start();
  }

  get size(): number {
    return this.pool.size;
  }

  /** The signatures of `payloads` (DAG-CBOR encoded unsigned labels), in their order. */
  sign(payloads: readonly Uint8Array[]): Promise<Uint8Array[]> {
    return this.pool
      .runAll(payloads, (run) => ({ payloads: run }), (sigs) => sigs)
      .catch((error: Error) => {
        throw new Error(`could not sign labels: ${error.message}`, { cause: error });
      });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
