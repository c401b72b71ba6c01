import type { FastifyInstance } from 'fastify';
import type WebSocket from 'ws';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { errorFrame, messageFrame } from './frames.ts';
import { ConsumerTooSlow, Outbox, type OutboxOptions } from './outbox.ts';
import type { Sequencer } from './sequencer.ts';
import type { LabelStore } from './store.ts';
import { XrpcError, xrpcParams } from './xrpc.ts';

const NSID = 'com.atproto.label.subscribeLabels';
/** WebSocket close code the XRPC event stream uses after an error frame (policy violation). */
const CLOSE_POLICY = 1008;

export interface SubscribeLabelsOptions {
  store: LabelStore;
  sequencer: Sequencer;
  logger: Logger;
  metrics?: Metrics;
  outbox?: OutboxOptions;
}

/** Sends one frame and resolves once the socket has taken it: a subscriber that stops reading stops the sending. */
function send(socket: WebSocket, frame: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => socket.send(frame, { binary: true }, (error) => (error ? reject(error) : resolve())));
}

/**
 * `com.atproto.label.subscribeLabels`: `#labels` events after the cursor, then live ones, from the
 * subscriber's own Outbox. A cursor above the newest seq is refused with FutureCursor; one older than
 * the oldest label kept gets an `#info` OutdatedCursor first. Errors end the stream with an error frame.
 */
export function subscribeLabelsRoute(app: FastifyInstance, options: SubscribeLabelsOptions): void {
  const { store, sequencer, logger, metrics } = options;
  const serve = async (socket: WebSocket, query: Record<string, string | string[]>) => {
    const abort = new AbortController();
    socket.once('close', () => abort.abort());
    /** Ends the stream with an error frame. The frame is queued even behind a full socket; close() gives the peer 30 s to read it. */
    const end = (error: unknown) => {
      if (abort.signal.aborted || socket.readyState !== socket.OPEN) return;
      abort.abort();
      const name = error instanceof XrpcError ? error.error : error instanceof ConsumerTooSlow ? 'ConsumerTooSlow' : 'InternalServerError';
      if (name === 'InternalServerError') logger.error({ err: error }, 'subscribeLabels stream failed');
      metrics?.labelStreamErrors.inc({ error: name });
      socket.send(errorFrame(name, name === 'InternalServerError' ? 'An internal error occurred' : (error as Error).message));
      socket.close(CLOSE_POLICY, name);
    };
    metrics?.labelSubscribers.inc();
    try {
      const { cursor: asked } = xrpcParams<{ cursor?: number }>(NSID, query);
      const cursor = asked === undefined ? undefined : Math.max(0, asked);
      if (cursor !== undefined) {
        if (cursor > (await store.head())) throw new XrpcError(400, 'FutureCursor', 'Cursor in the future.');
        const tail = await store.tail();
        if (cursor < tail - 1) await send(socket, messageFrame('#info', { name: 'OutdatedCursor', message: `Requested cursor is older than the oldest label kept; the stream starts at seq ${tail}.` }));
      }
      const events = new Outbox(store, sequencer, options.outbox).events(cursor, abort.signal, { onTooSlow: end });
      for await (const event of events) {
        await send(socket, event.frame);
        metrics?.labelsServed.inc({ method: 'subscribeLabels' }, event.seq - event.firstId + 1);
      }
    } catch (error) {
      end(error);
    } finally {
      metrics?.labelSubscribers.dec();
    }
  };
  app.get(`/xrpc/${NSID}`, { websocket: true }, (socket, req) => {
    // A client error (an oversized frame) closes the socket; without a listener it would be thrown.
    socket.on('error', (error) => logger.debug({ err: error }, 'subscribeLabels socket error'));
    void serve(socket, req.query as Record<string, string | string[]>);
  });
}
