import { setTimeout as sleep } from 'node:timers/promises';
import type { JetstreamEvent } from '../consolidate/index.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { KeyValueStore } from '../store/kv.ts';
import { readFrame } from './frame.ts';
import { JetstreamConnection, type ConnectionStatus, type JetstreamConnectionOptions } from './jetstream-connection.ts';

const CURSOR_KEY = 'jetstream.cursor';

export interface JetstreamSourceOptions {
  endpoint: string;
  wantedCollections: readonly string[];
  kv: KeyValueStore;
  logger: Logger;
  metrics: Metrics;
  /** Replays this many seconds before the stored cursor on start, so nothing is missed across restarts. */
  rewindSeconds: number;
  /**
   * Processes one batch of events the frame reader has validated. It resolves when the batch is done, or
   * with `committed` when the rest of its work (signing, committing) may overlap the next batch; the
   * cursor moves past a batch only once that is done.
   */
  handle: (events: JetstreamEvent[]) => Promise<Handled>;
  /** High watermark of the queue: reading pauses at this many waiting events and resumes at half. */
  queueMax: number;
  /** Messages larger than this are skipped as `oversized`. */
  maxMessageBytes: number;
  batchSize?: number;
  batchWaitMs?: number;
  cursorWriteMs?: number;
  /** Reconnection and liveness settings of the socket (defaults: 3 s doubling to 60 s, ±25%). */
  connection?: Pick<JetstreamConnectionOptions, 'backoff' | 'handshakeTimeoutMs' | 'idleTimeoutMs' | 'random'>;
}

/** What handling a batch leaves under way, if anything: at most one batch commits while the next is handled. */
export type Handled = void | { committed: Promise<unknown> };

/** A batch handled whose commit is still under way. */
interface Committing {
  batch: JetstreamEvent[];
  committed: Promise<unknown>;
}

/** The source's state for `/health`. */
export interface SourceStatus extends ConnectionStatus {
  /** `time_us` of the newest event processed in this run (0: none yet). */
  cursor: number;
  /** Age of the newest event ever fully processed (the stored cursor counts); null when there is none. */
  lagSeconds: number | null;
  queued: number;
  paused: boolean;
}

/**
 * Jetstream into the pipeline, one batch at a time through a bounded queue: every raw message is checked
 * and counted (`readFrame`), and at `queueMax` waiting events reading stops at the socket, so TCP flow
 * control pushes back on the server instead of memory growing. The persisted cursor is the `time_us` of
 * the last event whose batch was fully processed, written at most once per `cursorWriteMs`; a restart
 * resumes `rewindSeconds` before it, a reconnection from the last event received. Duplicates are harmless
 * because labelling is idempotent.
 */
export class JetstreamSource {
  private readonly connection: JetstreamConnection;
  private readonly queue: JetstreamEvent[] = [];
  private readonly stored: number;
  private wanted: readonly string[];
  private received = 0;
  private processed = 0;
  private lastWritten: number;
  private running = true;
  private paused = false;
  private wake?: () => void;
  private loop?: Promise<void>;
  private cursorTimer?: NodeJS.Timeout;

  constructor(private readonly options: JetstreamSourceOptions) {
    this.stored = Number(options.kv.get(CURSOR_KEY) ?? 0);
    this.lastWritten = this.stored;
    this.wanted = options.wantedCollections;
    const resumeFrom = this.stored ? this.stored - options.rewindSeconds * 1_000_000 : undefined;
    this.connection = new JetstreamConnection({
      ...options.connection,
      endpoint: options.endpoint,
      wantedCollections: this.wanted,
      // A reconnection picks up after the last event received; the events queued before it are still in hand.
      cursor: () => (this.received ? this.received : resumeFrom),
      onMessage: (data) => this.receive(data),
      logger: options.logger,
      metrics: options.metrics,
    });
  }

  get cursor(): number {
    return this.processed;
  }

  get queued(): number {
    return this.queue.length;
  }

  status(): SourceStatus {
    const newest = Math.max(this.processed, this.stored);
    return {
      ...this.connection.status(),
      cursor: this.processed,
      lagSeconds: newest ? Math.max(0, Date.now() / 1000 - newest / 1_000_000) : null,
      queued: this.queue.length,
      paused: this.paused,
    };
  }

  start(): void {
    this.connection.start();
    this.loop = this.run();
    this.cursorTimer = setInterval(() => this.persistCursor(), this.options.cursorWriteMs ?? 1000);
  }

  /** Changes the subscription (Jetstream's `options_update`); reconnections use the new list too. */
  setWantedCollections(collections: readonly string[]): void {
    const next = [...new Set(collections)].sort();
    if (next.join() === [...this.wanted].sort().join()) return;
    this.wanted = next;
    this.options.logger.info({ wantedCollections: next }, 'jetstream subscription updated');
    this.connection.setWantedCollections(next);
  }

  /** Stops reading, finishes the batch in hand, and writes the cursor. */
  async stop(): Promise<void> {
    this.running = false;
    await this.connection.stop();
    this.wake?.();
    await this.loop;
    clearInterval(this.cursorTimer);
    this.persistCursor();
  }

  private receive(data: string | Buffer): void {
    const frame = readFrame(data, this.options.maxMessageBytes);
    if ('reason' in frame) {
      this.options.metrics.malformed.inc({ reason: frame.reason });
      this.options.logger.debug({ reason: frame.reason, detail: frame.detail }, 'jetstream message skipped');
      return;
    }
    if (frame.event.time_us > this.received) this.received = frame.event.time_us;
    this.queue.push(frame.event);
    if (this.queue.length >= this.options.queueMax && !this.paused) this.setPaused(true);
    if (this.queue.length >= (this.options.batchSize ?? 256)) this.wake?.();
  }

  private setPaused(paused: boolean): void {
    this.paused = paused;
    if (paused) this.connection.pause();
    else this.connection.resume();
    this.options.metrics.jetstreamPaused.set(paused ? 1 : 0);
    if (paused) this.options.metrics.backpressurePauses.inc();
  }

  private async run(): Promise<void> {
    const batchSize = this.options.batchSize ?? 256;
    let committing: Committing | undefined;
    while (this.running || committing) {
      if (this.running && this.queue.length < batchSize) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, this.options.batchWaitMs ?? 10);
        });
      }
      if (this.paused && this.queue.length <= this.options.queueMax / 2) this.setPaused(false);
      const batch = this.running ? this.queue.splice(0, batchSize) : [];
      let handled: Handled = undefined;
      let failure: { error: unknown } | undefined;
      if (batch.length) {
        try {
          handled = await this.options.handle(batch);
          handled?.committed.catch(() => undefined);
        } catch (error) {
          failure = { error };
        }
      }
      const previous = committing;
      committing = undefined;
      if (previous) {
        try {
          await previous.committed;
          this.advance(previous.batch);
        } catch (error) {
          // The batch handled since decided against the failed one's changes: both go back, in order.
          await handled?.committed.catch(() => undefined);
          await this.retry([...previous.batch, ...batch], error);
          continue;
        }
      }
      if (failure) {
        await this.retry(batch, failure.error);
        continue;
      }
      if (handled) committing = { batch, committed: handled.committed };
      else if (batch.length) this.advance(batch);
      // Evaluation and storage are synchronous: without this, a long backlog would keep health checks,
      // metrics and label subscribers waiting until it is gone.
      await new Promise(setImmediate);
    }
  }

  /** The cursor passes a batch that is done. */
  private advance(batch: readonly JetstreamEvent[]): void {
    const last = batch[batch.length - 1]!.time_us;
    if (last > this.processed) this.processed = last;
  }

  /** Not advancing the cursor past a failed batch: it is put back and tried again. */
  private async retry(batch: readonly JetstreamEvent[], error: unknown): Promise<void> {
    this.options.logger.error({ err: error }, 'batch failed; retrying');
    this.options.metrics.batchFailures.inc();
    this.queue.unshift(...batch);
    await sleep(1000);
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
