import { parentPort, Worker, type Transferable } from 'node:worker_threads';

/**
 * Worker threads that answer requests: the one pattern behind the signing threads (src/label/signing-threads.ts)
 * and the evaluation threads (src/services/evaluation-threads.ts). A thread's module calls `serveRequests`;
 * the main thread holds a `ThreadPool` of them.
 */

interface Envelope<Request> {
  id: number;
  request: Request;
}

type Reply<Response> = { id: number; response: Response } | { id: number; error: string };

interface Pending<Response> {
  resolve(response: Response): void;
  reject(error: Error): void;
}

interface Thread<Response> {
  worker: Worker;
  pending: Map<number, Pending<Response>>;
  exited: boolean;
}

export interface ThreadPoolOptions {
  /** The thread's module (TypeScript, like the rest of the program). */
  module: URL;
  /** What each thread's module finds in `workerData`: structured-cloneable. */
  workerData?: unknown;
  /** Names the threads in errors ("signing thread stopped: …"). */
  name: string;
  size: number;
}

/**
 * `size` threads running one module, each started when first needed (or all at once by `start`). Requests go
 * round-robin; `runAll` splits a list into contiguous runs, one per thread, and puts the answers back in order.
 * A thread that dies (its module failed to load, or crashed) fails what it held and is replaced when next
 * needed, so a thread that cannot start is not restarted in a loop. A thread keeps the process alive only
 * while it has work.
 */
export class ThreadPool<Request, Response> {
  private readonly threads: (Thread<Response> | undefined)[];
  private nextId = 0;
  private nextThread = 0;

  constructor(private readonly options: ThreadPoolOptions) {
    this.threads = Array.from({ length: options.size }, () => undefined);
  }

  get size(): number {
    return this.threads.length;
  }

  /** Starts every thread now, so that the first requests do not wait for them to load. */
  start(): this {
    for (let i = 0; i < this.threads.length; i++) this.thread(i);
    return this;
  }

  /** One request, answered by the next thread in turn. */
  run(request: Request, transfer: readonly Transferable[] = []): Promise<Response> {
    const thread = this.thread(this.nextThread++ % this.threads.length);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.ref();
      thread.worker.postMessage({ id, request } satisfies Envelope<Request>, transfer);
    });
  }

  /**
   * `items` in contiguous runs, one per thread, each run a request; the answers' items back in the order of
   * `items`. A run that fails fails the whole, unless `failed` answers for its items.
   */
  async runAll<Item, Out>(items: readonly Item[], request: (run: Item[]) => Request, answer: (response: Response, run: Item[]) => Out[], failed?: (error: Error, run: Item[]) => Out[]): Promise<Out[]> {
    const per = Math.ceil(items.length / this.threads.length);
    const runs: Promise<Out[]>[] = [];
    for (let start = 0; start < items.length; start += per) {
      const run = items.slice(start, start + per);
      const answered = this.run(request(run)).then((response) => answer(response, run));
      runs.push(failed ? answered.catch((error: Error) => failed(error, run)) : answered);
    }
    return (await Promise.all(runs)).flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread?.worker.terminate()));
  }

  private thread(index: number): Thread<Response> {
    let thread = this.threads[index];
    if (!thread || thread.exited) this.threads[index] = thread = this.spawn();
    return thread;
  }

  private spawn(): Thread<Response> {
    // A thread does not inherit the tsx hooks bin/skysift.js registers: its first act is to register them, then load the module.
    const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => {
      tsx.register();
      return import(${JSON.stringify(this.options.module.href)});
    });`;
    const worker = new Worker(bootstrap, { eval: true, workerData: this.options.workerData });
    const thread: Thread<Response> = { worker, pending: new Map(), exited: false };
    worker.unref();
    worker.on('message', (reply: Reply<Response>) => {
      const pending = thread.pending.get(reply.id);
      thread.pending.delete(reply.id);
      if (!thread.pending.size) worker.unref();
      if ('error' in reply) pending?.reject(new Error(reply.error));
      else pending?.resolve(reply.response);
    });
    let failure: Error | undefined;
    worker.on('error', (error) => (failure = error));
    worker.on('exit', (code) => {
      thread.exited = true;
      for (const pending of thread.pending.values()) pending.reject(new Error(`${this.options.name} thread stopped: ${failure?.message ?? `exit code ${code}`}`));
      thread.pending.clear();
    });
    return thread;
  }
}

/**
 * The thread's side: answers each request with `handle`, in the order they come (an error is sent back as its
 * message, and the thread stays up). `transfer` names the parts of an answer that move rather than copy.
 */
export function serveRequests<Request, Response>(handle: (request: Request) => Promise<Response> | Response, transfer: (response: Response) => Transferable[] = () => []): void {
  const port = parentPort;
  if (!port) throw new Error('serveRequests runs in a worker thread');
  port.on('message', async ({ id, request }: Envelope<Request>) => {
    let reply: Reply<Response>;
    try {
      reply = { id, response: await handle(request) };
    } catch (error) {
      reply = { id, error: error instanceof Error ? error.message : String(error) };
    }
    port.postMessage(reply, 'response' in reply ? transfer(reply.response) : []);
  });
}
