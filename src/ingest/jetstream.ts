import { Jetstream } from '@skyware/jetstream';
import WebSocket from 'ws';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { KeyValueStore } from '../store/kv.ts';

const CURSOR_KEY = 'jetstream.cursor';

export interface JetstreamSourceOptions {
  endpoint: string;
  wantedCollections: string[];
  kv: KeyValueStore;
  logger: Logger;
  metrics: Metrics;
  /** Replays this many seconds before the stored cursor on start, so nothing is missed across restarts. */
  rewindSeconds: number;
  /** Processes one batch; the cursor moves past a batch only once this resolves. */
  handle: (events: unknown[]) => Promise<void>;
  batchSize?: number;
  batchWaitMs?: number;
  cursorWriteMs?: number;
}

/**
 * Jetstream through @skyware/jetstream (which reconnects with backoff on its own), feeding batches to
 * the pipeline one at a time. The persisted cursor is the `time_us` of the last event whose batch was
 * fully processed, written at most once per `cursorWriteMs`; duplicates after a restart are harmless
 * because labelling is idempotent.
 */
export class JetstreamSource {
  private readonly jetstream: Jetstream;
  private readonly queue: unknown[] = [];
  private processed = 0;
  private lastWritten = 0;
  private running = true;
  private wake?: () => void;
  private loop?: Promise<void>;
  private cursorTimer?: NodeJS.Timeout;
  connected = false;

  constructor(private readonly options: JetstreamSourceOptions) {
    const stored = Number(options.kv.get(CURSOR_KEY) ?? 0);
    const cursor = stored ? stored - options.rewindSeconds * 1_000_000 : undefined;
    this.jetstream = new Jetstream({ endpoint: options.endpoint, wantedCollections: options.wantedCollections, cursor, ws: WebSocket });
    this.jetstream.on('open', () => {
      this.connected = true;
      options.logger.info({ endpoint: options.endpoint, cursor }, 'jetstream connected');
    });
    this.jetstream.on('close', () => {
      if (this.connected) {
        options.logger.warn('jetstream disconnected; reconnecting');
        options.metrics.reconnects.inc();
      }
      this.connected = false;
    });
    // @skyware/jetstream reports a message it cannot parse as an error and goes on.
    this.jetstream.on('error', (error: Error) => {
      options.metrics.malformed.inc({ reason: 'invalid-json' });
      options.logger.debug({ err: error.message }, 'jetstream message skipped');
    });
    for (const kind of ['commit', 'identity', 'account'] as const) this.jetstream.on(kind, (event: unknown) => this.push(event));
  }

  get cursor(): number {
    return this.processed;
  }

  get queued(): number {
    return this.queue.length;
  }

  start(): void {
    this.jetstream.start();
    this.loop = this.run();
    this.cursorTimer = setInterval(() => this.persistCursor(), this.options.cursorWriteMs ?? 1000);
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

  private push(event: unknown): void {
    this.queue.push(event);
    if (this.queue.length >= (this.options.batchSize ?? 256)) this.wake?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (this.queue.length < (this.options.batchSize ?? 256)) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, this.options.batchWaitMs ?? 50);
        });
      }
      if (!this.queue.length) continue;
      const batch = this.queue.splice(0, this.options.batchSize ?? 256);
      try {
        await this.options.handle(batch);
      } catch (error) {
        // Not advancing the cursor past a failed batch: it is put back and tried again.
        this.options.logger.error({ err: error }, 'batch failed; retrying');
        this.options.metrics.batchFailures.inc();
        this.queue.unshift(...batch);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      const last = batch[batch.length - 1] as { time_us?: unknown };
      if (typeof last.time_us === 'number' && last.time_us > this.processed) this.processed = last.time_us;
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
