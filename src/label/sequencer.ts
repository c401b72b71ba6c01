import { EventEmitter } from 'node:events';
import type { Logger } from '../log.ts';
import { toEvents, type LabelEvent } from './frames.ts';
import type { LabelStore } from './store.ts';

const POLL_PAGE = 500;

export interface SequencerOptions {
  /** Frames of the most recent events kept in memory for subscribers resuming near the head. */
  recentBytes?: number;
}

/**
 * Turns commits into subscribeLabels events for every live subscriber. Woken after each commit, it
 * reads what was committed since the last event it sent, in seq order, from the store itself: so an
 * event exists only once its labels are durable, and the same holds when another process committed
 * them (a cluster's store wakes it the same way). Each event is encoded once for all subscribers, and
 * the most recent ones stay in memory: subscribers resuming near the head (all of them, after a
 * restart) are served from there instead of each reading and encoding the same labels again.
 */
export class Sequencer extends EventEmitter<{ events: [LabelEvent[]] }> {
  /** The seq of the last event read from the store. */
  lastSeen = 0;
  private polling: Promise<void> | undefined;
  private again = false;
  private unsubscribe: (() => void) | undefined;
  /** The latest events, contiguous: every event after `recent[0]`'s predecessor, up to `lastSeen`. */
  private recent: LabelEvent[] = [];
  private recentSize = 0;
  private readonly maxRecentBytes: number;

  constructor(
    private readonly store: LabelStore,
    private readonly logger: Logger,
    options: SequencerOptions = {},
  ) {
    super();
    // One listener per subscriber's outbox: a thousand subscribers are expected, not a leak.
    this.setMaxListeners(0);
    this.maxRecentBytes = options.recentBytes ?? 16 * 2 ** 20;
  }

  /** Starts from the head, with the latest events in memory for subscribers reconnecting after a restart. */
  async start(): Promise<void> {
    this.lastSeen = await this.store.head();
    const labels = await this.store.range(Math.max(0, this.lastSeen - POLL_PAGE * 20), POLL_PAGE * 20);
    // The first event read may be cut by where the read began: keep only whole events after it.
    this.remember(toEvents(labels).slice(1));
    this.unsubscribe = this.store.onCommit(() => this.poll());
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.polling;
  }

  /**
   * The events after `seq` from memory, as many as make up about `labels` labels; undefined when `seq`
   * is not where an event there begins (older than memory, or inside an event).
   */
  recentAfter(seq: number, labels: number): LabelEvent[] | undefined {
    const first = this.recent[0];
    if (!first || seq < first.firstId - 1) return undefined;
    let lo = 0;
    let hi = this.recent.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.recent[mid]!.seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    const next = this.recent[lo];
    if (next && next.firstId !== seq + 1 && (lo === 0 || this.recent[lo - 1]!.seq !== seq)) return undefined;
    const out: LabelEvent[] = [];
    for (let i = lo, count = 0; i < this.recent.length && count < labels; i++) {
      out.push(this.recent[i]!);
      count += this.recent[i]!.seq - this.recent[i]!.firstId + 1;
    }
    return out;
  }

  private remember(events: readonly LabelEvent[]): void {
    for (const event of events) {
      this.recent.push(event);
      this.recentSize += event.frame.byteLength;
    }
    let drop = 0;
    while (this.recentSize > this.maxRecentBytes && drop < this.recent.length - 1) this.recentSize -= this.recent[drop++]!.frame.byteLength;
    if (drop) this.recent.splice(0, drop);
  }

  /** Reads and emits everything committed after `lastSeen`; one read at a time, repeated while commits arrive. */
  private poll(): void {
    if (this.polling) {
      this.again = true;
      return;
    }
    this.again = false;
    this.polling = this.store
      .range(this.lastSeen, POLL_PAGE)
      .then((labels) => {
        const events = toEvents(labels);
        if (!events.length) return;
        this.lastSeen = events[events.length - 1]!.seq;
        this.remember(events);
        this.emit('events', events);
        this.again = true;
      })
      .catch((error: unknown) => this.logger.error({ err: error, lastSeen: this.lastSeen }, 'could not read committed labels for subscribers; retrying on the next commit'))
      .finally(() => {
        this.polling = undefined;
        if (this.again) this.poll();
      });
  }
}
