import fastifyWebsocket from '@fastify/websocket';
import fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { queryLabelsRoute } from './query-labels.ts';
import { subscribeLabelsRoute, type SubscribeLabelsOptions } from './subscribe-labels.ts';
import { XrpcError } from './xrpc.ts';

/** Bodies on our routes are small JSON; anything larger is refused with 413 before it is read. */
export const BODY_LIMIT_BYTES = 64 * 1024;
/** subscribeLabels clients have nothing to send; a frame larger than this closes the socket (1009). */
export const WEBSOCKET_MAX_PAYLOAD_BYTES = 4 * 1024;
/** Request line and headers: room for a queryLabels of a thousand post URIs (~85 KiB), no more. */
export const MAX_HEADER_BYTES = 128 * 1024;

export type LabelServerOptions = SubscribeLabelsOptions & {
  /** Our own routes (health, metrics), on the same app. */
  routes?: (app: FastifyInstance) => void;
};

/**
 * The labeler's HTTP and WebSocket server: `subscribeLabels` and `queryLabels` from the label store,
 * the caller's routes beside them, and XRPC errors as `{error, message}` (501 MethodNotImplemented for
 * any other `/xrpc/` method). A Fastify app of ours, so nothing in it belongs to a library to patch.
 */
export async function createLabelServer(options: LabelServerOptions): Promise<FastifyInstance> {
  const app = fastify({ bodyLimit: BODY_LIMIT_BYTES, http: { maxHeaderSize: MAX_HEADER_BYTES } });
  app.setErrorHandler((error: FastifyError, req, reply) => {
    if (error instanceof XrpcError) return reply.status(error.status).send({ error: error.error, message: error.message });
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return reply.status(status).send({ error: 'InvalidRequest', message: error.message });
    options.logger.error({ err: error, url: req.url }, 'request failed');
    return reply.status(500).send({ error: 'InternalServerError', message: 'An internal error occurred' });
  });
  await app.register(fastifyWebsocket, { options: { maxPayload: WEBSOCKET_MAX_PAYLOAD_BYTES } });
  subscribeLabelsRoute(app, options);
  queryLabelsRoute(app, options.store, options.metrics);
  app.all('/xrpc/*', async () => {
    throw new XrpcError(501, 'MethodNotImplemented', 'Method Not Implemented');
  });
  options.routes?.(app);
  return app;
}
