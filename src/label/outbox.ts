import { setImmediate as nextTurn } from 'node:timers/promises';
import { toEvents, type LabelEvent } from './frames.ts';
import type { Sequencer } from './sequencer.ts';
import type { LabelStore } from './store.ts';

/** A subscriber fell further behind the live stream than its outbox holds. */
export class ConsumerTooSlow extends Error {
  constructor(readonly buffered: number) {
    super(`Stream consumer too slow: more than ${buffered} events waiting`);
  }
}

export interface OutboxOptions {
  /** Labels read from the store per backfill page. */
  pageSize?: number;
  /** Live events held for a subscriber that has not taken them yet; one more is ConsumerTooSlow. */
  maxBuffered?: number;
}

export interface OutboxHooks {
  /**
   * Called once, as soon as the subscriber is too slow: it may be blocked on a full socket and not ask
   * for its next event for a long while, so the stream is ended from here rather than on its next read.
   */
  onTooSlow?: (error: ConsumerTooSlow) => void;
}

/**
 * One subscriber's stream, in three phases (as Ozone's outbox): backfill pages from the store while the
 * cursor is well behind; then cutover, listening to the sequencer while a last read closes the gap; then
 * live. Events are yielded one at a time, so a subscriber that reads slowly is read for slowly: memory
 * is one page of backfill, or `maxBuffered` live events, whatever the log's length. Each backfill page
 * ends with a turn of the event loop, so a long backfill never stalls other work.
 */
export class Outbox {
  private readonly pageSize: number;
  private readonly maxBuffered: number;

  constructor(
    private readonly store: LabelStore,
    private readonly sequencer: Sequencer,
    options: OutboxOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 500;
    this.maxBuffered = options.maxBuffered ?? 500;
  }

  /** Events after `cursor` (a seq), then live ones; without a cursor, live ones only. */
  async *events(cursor: number | undefined, signal: AbortSignal, hooks: OutboxHooks = {}): AsyncGenerator<LabelEvent> {
    let last = cursor ?? this.sequencer.lastSeen;
    if (cursor !== undefined) {
      while (!signal.aborted && this.sequencer.lastSeen - last >= this.pageSize / 2) {
        const page = await this.readAfter(last);
        if (!page.length) break;
        for (const event of page) {
          yield event;
          last = event.seq;
        }
        await nextTurn();
      }
    }
    const live: LabelEvent[] = [];
    let tooSlow: ConsumerTooSlow | undefined;
    let wake: (() => void) | undefined;
    /** Drops live events already sent; holding more than `maxBuffered` means the subscriber is too slow. */
    const pending = () => {
      if (tooSlow) throw tooSlow;
      while (live.length && live[0]!.seq <= last) live.shift();
      return live.length;
    };
    const onEvents = (events: LabelEvent[]) => {
      if (tooSlow) return;
      live.push(...events);
      if (pending() > this.maxBuffered) {
        tooSlow = new ConsumerTooSlow(this.maxBuffered);
        live.length = 0;
        hooks.onTooSlow?.(tooSlow);
      }
      wake?.();
    };
    const onAbort = () => wake?.();
    this.sequencer.on('events', onEvents);
    signal.addEventListener('abort', onAbort);
    try {
      // Cutover: what was committed before the listener was added comes from the store, until the
      // store reaches the first event the sequencer sent since.
      if (cursor !== undefined) {
        cutover: for (let page = await this.readAfter(last); page.length && !signal.aborted; page = await this.readAfter(last)) {
          for (const event of page) {
            if (event.seq <= last) continue;
            pending();
            yield event;
            last = event.seq;
            if (live.length && live[0]!.seq <= last) break cutover;
          }
        }
      }
      while (!signal.aborted) {
        if (pending()) {
          const event = live.shift()!;
          yield event;
          last = event.seq;
        } else {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      }
    } finally {
      this.sequencer.off('events', onEvents);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** The next page after `seq`: from the sequencer's recent events when it has them, else from the store. */
  private async readAfter(seq: number): Promise<LabelEvent[]> {
    return this.sequencer.recentAfter(seq, this.pageSize) ?? toEvents(await this.store.range(seq, this.pageSize));
  }
}
