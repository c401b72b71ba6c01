import readline from 'node:readline';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.ts';
import type { ImageMetrics } from './metrics.ts';
import { MODEL_CLASSES, scoresOf, type NsfwScores } from './nsfw-classes.ts';
import { MODEL_INPUT_SIZE, type ClassifyRequest, type ClassifyResponse, type WorkerStatus } from './nsfw-protocol.ts';

/** Names the model in caches: another model or input size must not reuse its scores. */
export const NSFW_MODEL_VERSION = `nsfwjs-mobilenet_v2-${MODEL_INPUT_SIZE}`;
export const MODEL_INPUT_BYTES = MODEL_INPUT_SIZE * MODEL_INPUT_SIZE * 3;

const WORKER = new URL('./nsfw-worker.ts', import.meta.url);

/** The worker runs TypeScript like the rest: tsx's loader is registered inside it before its module loads. */
const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER.href)}); })`;

interface Waiting {
  resolve(probabilities: Float32Array): void;
  reject(error: Error): void;
}

/**
 * nsfwjs's MobileNetV2 in a worker thread (`nsfw-worker.ts`), started on first use, so a process
 * whose manifests never look at images never loads it. Images go over in batches; a crashed worker
 * fails what it had and is started again by the next call. The worker keeps the process alive only
 * while it has work.
 */
export class NsfwModel {
  #worker?: Promise<Worker>;
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 0;

  constructor(private readonly options: { batchSize: number; logger: Logger; metrics: ImageMetrics }) {}

  /** The model's probabilities for each image (MODEL_INPUT_SIZE² RGB bytes). */
  async classify(images: readonly Uint8Array[]): Promise<NsfwScores[]> {
    const worker = await this.start();
    const { batchSize, metrics } = this.options;
    const scores: NsfwScores[] = [];
    for (let start = 0; start < images.length; start += batchSize) {
      const batch = images.slice(start, start + batchSize);
      const pixels = new Uint8Array(batch.length * MODEL_INPUT_BYTES);
      batch.forEach((image, k) => pixels.set(image, k * MODEL_INPUT_BYTES));
      const stop = metrics.classifySeconds.startTimer();
      const probabilities = await this.send(worker, { id: this.#nextId++, count: batch.length, pixels });
      stop();
      for (let k = 0; k < batch.length; k++) scores.push(scoresOf(probabilities.subarray(k * MODEL_CLASSES.length, (k + 1) * MODEL_CLASSES.length)));
    }
    return scores;
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    await (await worker?.catch(() => undefined))?.terminate();
  }

  private send(worker: Worker, request: ClassifyRequest): Promise<Float32Array> {
    return new Promise((resolve, reject) => {
      this.#waiting.set(request.id, { resolve, reject });
      worker.ref();
      worker.postMessage(request, [request.pixels.buffer]);
    });
  }

  private start(): Promise<Worker> {
    this.#worker ??= new Promise((resolve, reject) => {
      const { logger } = this.options;
      const worker = new Worker(bootstrap, { eval: true, stdout: true, stderr: true });
      // What TensorFlow.js and nsfwjs print goes to the log, never to a command's stdout.
      readline.createInterface({ input: worker.stdout }).on('line', (line) => logger.debug({ thread: 'nsfw' }, line));
      readline.createInterface({ input: worker.stderr }).on('line', (line) => logger.debug({ thread: 'nsfw' }, line));
      let ready = false;
      worker.on('message', (message: WorkerStatus | ClassifyResponse) => {
        if ('ready' in message) {
          if (!message.ready) return this.fail(worker, new Error(`the NSFW image classifier did not load: ${message.error}`), reject);
          ready = true;
          worker.unref();
          logger.info({ backend: message.backend, loadMs: message.loadMs }, 'NSFW image classifier loaded (nsfwjs MobileNetV2)');
          return resolve(worker);
        }
        const waiting = this.#waiting.get(message.id);
        this.#waiting.delete(message.id);
        if (!this.#waiting.size) worker.unref();
        if ('error' in message) waiting?.reject(new Error(`the NSFW image classifier failed: ${message.error}`));
        else waiting?.resolve(message.probabilities);
      });
      worker.on('error', (error) => this.fail(worker, error, reject));
      worker.on('exit', (code) => {
        if (ready || code !== 0) this.fail(worker, new Error(`the NSFW image classifier's thread stopped (exit code ${code})`), reject);
      });
    });
    return this.#worker;
  }

  /** Fails the start (if still starting) and every image in flight; the next call starts a new worker. */
  private fail(worker: Worker, error: Error, rejectStart: (error: Error) => void): void {
    rejectStart(error);
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
    this.#worker = undefined;
    void worker.terminate();
  }
}
