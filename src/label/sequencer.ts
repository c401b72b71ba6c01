import { EventEmitter } from 'node:events';
import type { Logger } from '../log.ts';
import { toEvents, type LabelEvent } from './frames.ts';
import type { LabelStore } from './store.ts';

const POLL_PAGE = 500;

/**
 * Turns commits into subscribeLabels events for every live subscriber. Woken after each commit, it
 * reads what was committed since the last event it sent, in seq order, from the store itself: so an
 * event exists only once its labels are durable, and the same holds when another process committed
 * them (a cluster's store wakes it the same way). Each event is encoded once for all subscribers.
 */
export class Sequencer extends EventEmitter<{ events: [LabelEvent[]] }> {
  /** The seq of the last event read from the store. */
  lastSeen = 0;
  private polling: Promise<void> | undefined;
  private again = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: LabelStore,
    private readonly logger: Logger,
  ) {
    super();
    // One listener per subscriber's outbox: a thousand subscribers are expected, not a leak.
    this.setMaxListeners(0);
  }

  async start(): Promise<void> {
    this.lastSeen = await this.store.head();
    this.unsubscribe = this.store.onCommit(() => this.poll());
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.polling;
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
