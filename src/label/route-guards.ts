import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Bodies on our routes are small JSON; anything larger is refused with 413 before it is read. */
export const BODY_LIMIT_BYTES = 64 * 1024;
/** subscribeLabels clients have nothing to send; a frame larger than this closes the socket. */
export const WEBSOCKET_MAX_PAYLOAD_BYTES = 4 * 1024;

const EMIT_EVENT = '/xrpc/tools.ozone.moderation.emitEvent';

/** The `iss` of a bearer JWT, read without verifying: only used to refuse early, never to accept. */
function claimedIssuer(req: FastifyRequest): string | undefined {
  const [type, token] = (req.headers.authorization ?? '').split(' ');
  if (type !== 'Bearer' || !token) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss?: unknown };
    return typeof payload.iss === 'string' ? payload.iss : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Hardens @skyware/labeler 0.2.0's Fastify app. Its `emitEvent` resolves the JWT issuer's DID over
 * the network (plc.directory, or any did:web host) *before* checking that the issuer is the labeler,
 * so anyone could make the service fetch URLs of their choosing; here a token that does not claim the
 * labeler's DID is refused first. Every route gets an explicit body limit (GET routes are bounded by
 * Node's header-size limit), and the WebSocket server a small frame limit. Client errors Fastify raises
 * (413, 415, bad JSON) keep their status; the labeler's own handler would turn them into 500s.
 */
export function guardRoutes(app: FastifyInstance, labelerDid: string, errorHandler: (error: FastifyError, req: FastifyRequest, reply: FastifyReply) => unknown): void {
  app.addHook('onRoute', (route) => {
    route.bodyLimit = BODY_LIMIT_BYTES;
    route.errorHandler = (error, req, reply) => {
      const status = error.statusCode ?? 500;
      if (status >= 400 && status < 500 && error.code?.startsWith('FST_')) return reply.status(status).send({ error: 'InvalidRequest', message: error.message });
      return errorHandler(error, req, reply);
    };
    if (route.url !== EMIT_EVENT) return;
    const preHandler = async (req: FastifyRequest, reply: FastifyReply) => {
      if (claimedIssuer(req) !== labelerDid) await reply.status(401).send({ error: 'AuthRequired', message: 'only the labeler itself may emit events' });
    };
    route.preHandler = [preHandler, ...(Array.isArray(route.preHandler) ? route.preHandler : route.preHandler ? [route.preHandler] : [])];
  });
  app.addHook('onReady', async () => {
    const wss = (app as FastifyInstance & { websocketServer?: { options: { maxPayload?: number } } }).websocketServer;
    if (wss) wss.options.maxPayload = WEBSOCKET_MAX_PAYLOAD_BYTES;
  });
}
