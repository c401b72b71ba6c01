import { Worker } from 'node:worker_threads';
import type { SignReply, SignRequest } from './signing-worker.ts';

interface Pending {
  resolve(sigs: Uint8Array[]): void;
  reject(error: Error): void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
  exited: boolean;
}

/**
 * The worker runs from TypeScript source like the rest of the program: a thread does not inherit the
 * tsx hooks bin/skysift.js registers, so its first act is to register them, then load the worker module.
 */
const WORKER = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => {
  tsx.register();
  return import(${JSON.stringify(new URL('./signing-worker.ts', import.meta.url).href)});
});`;

/**
 * Worker threads that sign encoded labels with the labeler's key (secp256k1, ~0.36 ms a label, the
 * costliest step of the labelled path), so that signing uses every core and leaves the main thread to
 * ingest, evaluate and serve. A batch is split into contiguous runs, one per thread, and put back
 * together in order. A thread keeps the process alive only while it has work.
 */
export class SigningThreads {
  private readonly threads: Thread[];
  private nextId = 0;
  private nextThread = 0;

  constructor(
    private readonly signingKey: string,
    size: number,
  ) {
    this.threads = Array.from({ length: size }, () => this.spawn());
  }

  get size(): number {
    return this.threads.length;
  }

  /** The signatures of `payloads` (DAG-CBOR encoded unsigned labels), in their order. */
  async sign(payloads: readonly Uint8Array[]): Promise<Uint8Array[]> {
    const per = Math.ceil(payloads.length / this.threads.length);
    const runs: Promise<Uint8Array[]>[] = [];
    for (let start = 0; start < payloads.length; start += per) runs.push(this.send(payloads.slice(start, start + per)));
    return (await Promise.all(runs)).flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map(({ worker }) => worker.terminate()));
  }

  private send(payloads: Uint8Array[]): Promise<Uint8Array[]> {
    const index = this.nextThread++ % this.threads.length;
    // A thread that died is replaced when next needed, so a thread that cannot start is not restarted in a loop.
    if (this.threads[index]!.exited) this.threads[index] = this.spawn();
    const thread = this.threads[index]!;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.ref();
      thread.worker.postMessage({ id, payloads } satisfies SignRequest);
    });
  }

  private spawn(): Thread {
    const worker = new Worker(WORKER, { eval: true, workerData: { signingKey: this.signingKey } });
    const thread: Thread = { worker, pending: new Map(), exited: false };
    worker.unref();
    worker.on('message', (reply: SignReply) => {
      const pending = thread.pending.get(reply.id);
      thread.pending.delete(reply.id);
      if (!thread.pending.size) worker.unref();
      if ('error' in reply) pending?.reject(new Error(`could not sign labels: ${reply.error}`));
      else pending?.resolve(reply.sigs);
    });
    // A thread that dies fails what it held: that batch is not committed, so nothing is lost.
    let failure: Error | undefined;
    worker.on('error', (error) => (failure = error));
    worker.on('exit', (code) => {
      thread.exited = true;
      for (const pending of thread.pending.values()) pending.reject(new Error(`a signing thread stopped: ${failure?.message ?? `exit code ${code}`}`));
      thread.pending.clear();
    });
    return thread;
  }
}
