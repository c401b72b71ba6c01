import { setTimeout as sleep } from 'node:timers/promises';
import { Jetstream } from '@skyware/jetstream';
import WebSocket from 'ws';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { KeyValueStore } from '../store/kv.ts';
import { readFrame } from './frame.ts';

const CURSOR_KEY = 'jetstream.cursor';

export interface JetstreamSourceOptions {
  endpoint: string;
  wantedCollections: readonly string[];
  kv: KeyValueStore;
  logger: Logger;
  metrics: Metrics;
  /** Replays this many seconds before the stored cursor on start, so nothing is missed across restarts. */
  rewindSeconds: number;
  /** Processes one batch; the cursor moves past a batch only once this resolves. */
  handle: (events: unknown[]) => Promise<void>;
  /** High watermark of the queue: reading pauses at this many waiting events and resumes at half. */
  queueMax: number;
  /** Messages larger than this are skipped as `oversized`. */
  maxMessageBytes: number;
  batchSize?: number;
  batchWaitMs?: number;
  cursorWriteMs?: number;
}

/** The parts of partysocket's ReconnectingWebSocket (private in its types) this source relies on. */
interface ReconnectingSocket {
  onmessage: ((event: { data: unknown }) => void) | null;
  _ws?: WebSocket;
  _getNextDelay(): number;
}

/**
 * Jetstream through @skyware/jetstream (which reconnects through partysocket: 3 s growing to 10 s,
 * jitter added here), feeding batches to the pipeline one at a time through a bounded queue: at
 * `queueMax` waiting events the socket is paused, so TCP flow control pushes back on the server
 * instead of memory growing. The persisted cursor is the `time_us` of the last event whose batch
 * was fully processed, written at most once per `cursorWriteMs`; duplicates after a restart are
 * harmless because labelling is idempotent.
 */
export class JetstreamSource {
  private readonly jetstream: Jetstream;
  private readonly queue: unknown[] = [];
  private wanted: readonly string[];
  private processed = 0;
  private lastWritten = 0;
  private running = true;
  private paused = false;
  private wake?: () => void;
  private loop?: Promise<void>;
  private cursorTimer?: NodeJS.Timeout;
  connected = false;

  constructor(private readonly options: JetstreamSourceOptions) {
    const stored = Number(options.kv.get(CURSOR_KEY) ?? 0);
    const cursor = stored ? stored - options.rewindSeconds * 1_000_000 : undefined;
    this.wanted = options.wantedCollections;
    this.jetstream = new Jetstream({ endpoint: options.endpoint, wantedCollections: [...this.wanted], cursor, ws: WebSocket });
    this.jetstream.on('open', () => {
      this.connected = true;
      // A reconnection opens a new, flowing socket: keep holding back while the queue is full.
      if (this.paused) this.socket()?._ws?.pause();
      options.logger.info({ endpoint: options.endpoint, cursor: this.jetstream.cursor }, 'jetstream connected');
    });
    this.jetstream.on('close', () => {
      if (this.connected) {
        options.logger.warn('jetstream disconnected; reconnecting');
        options.metrics.reconnects.inc();
      }
      this.connected = false;
    });
    this.jetstream.on('error', (error: Error) => options.logger.warn({ err: error?.message }, 'jetstream socket error'));
  }

  get cursor(): number {
    return this.processed;
  }

  get queued(): number {
    return this.queue.length;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get wantedCollections(): readonly string[] {
    return this.wanted;
  }

  start(): void {
    this.jetstream.start();
    if (this.wanted !== this.options.wantedCollections) this.jetstream.updateOptions({ wantedCollections: [...this.wanted] });
    const socket = this.socket()!;
    // Reading raw messages ourselves: the library's handler drops bad commits silently, and we count them.
    socket.onmessage = ({ data }) => this.receive(data);
    // partysocket's backoff has no jitter; spread reconnections so many clients do not retry in step.
    const nextDelay = socket._getNextDelay.bind(socket);
    socket._getNextDelay = () => nextDelay() * (0.75 + Math.random() * 0.5);
    this.loop = this.run();
    this.cursorTimer = setInterval(() => this.persistCursor(), this.options.cursorWriteMs ?? 1000);
  }

  /** Changes the subscription (Jetstream's `options_update`); reconnections use the new list too. */
  setWantedCollections(collections: readonly string[]): void {
    const next = [...new Set(collections)].sort();
    if (next.join() === [...this.wanted].sort().join()) return;
    this.wanted = next;
    this.options.logger.info({ wantedCollections: next }, 'jetstream subscription updated');
    // Before start the library has no socket to send on; start() sends the list then.
    if (this.jetstream.ws) this.jetstream.updateOptions({ wantedCollections: next });
  }

  /** Stops reading, finishes the batch in hand, and writes the cursor. */
  async stop(): Promise<void> {
    this.running = false;
    this.jetstream.close();
    this.wake?.();
    await this.loop;
    clearInterval(this.cursorTimer);
    this.persistCursor();
  }

  private socket(): ReconnectingSocket | undefined {
    return this.jetstream.ws as unknown as ReconnectingSocket | undefined;
  }

  private receive(data: unknown): void {
    const frame = readFrame(data, this.options.maxMessageBytes);
    if ('reason' in frame) {
      this.options.metrics.malformed.inc({ reason: frame.reason });
      this.options.logger.debug({ reason: frame.reason, detail: frame.detail }, 'jetstream message skipped');
      return;
    }
    if (frame.event.time_us > (this.jetstream.cursor ?? 0)) this.jetstream.cursor = frame.event.time_us;
    this.queue.push(frame.event);
    if (this.queue.length >= this.options.queueMax && !this.paused) this.setPaused(true);
    if (this.queue.length >= (this.options.batchSize ?? 256)) this.wake?.();
  }

  private setPaused(paused: boolean): void {
    this.paused = paused;
    const ws = this.socket()?._ws;
    if (paused) ws?.pause();
    else ws?.resume();
    this.options.metrics.jetstreamPaused.set(paused ? 1 : 0);
    if (paused) this.options.metrics.backpressurePauses.inc();
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (this.queue.length < (this.options.batchSize ?? 256)) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, this.options.batchWaitMs ?? 10);
        });
      }
      if (this.paused && this.queue.length <= this.options.queueMax / 2) this.setPaused(false);
      if (!this.queue.length) continue;
      const batch = this.queue.splice(0, this.options.batchSize ?? 256);
      try {
        await this.options.handle(batch);
      } catch (error) {
        // Not advancing the cursor past a failed batch: it is put back and tried again.
        this.options.logger.error({ err: error }, 'batch failed; retrying');
        this.options.metrics.batchFailures.inc();
        this.queue.unshift(...batch);
        await sleep(1000);
        continue;
      }
      const last = batch[batch.length - 1] as { time_us?: unknown };
      if (typeof last.time_us === 'number' && last.time_us > this.processed) this.processed = last.time_us;
      // Evaluation and storage are synchronous: without this, a long backlog would keep health checks,
      // metrics and label subscribers waiting until it is gone.
      await new Promise(setImmediate);
    }
  }

  /** Runs on a timer: a failed write (disk full, database busy) is logged and tried again on the next tick. */
  private persistCursor(): void {
    if (this.processed <= this.lastWritten) return;
    try {
      this.options.kv.set(CURSOR_KEY, String(this.processed));
      this.lastWritten = this.processed;
    } catch (error) {
      this.options.metrics.cursorWriteFailures.inc();
      this.options.logger.error({ err: error }, 'could not persist the Jetstream cursor; will retry');
    }
  }
}
