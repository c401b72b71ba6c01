import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { Logger } from '../log.ts';

/** A request the console refuses, with the status and one line saying why (and details for the page). */
export class ConsoleRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** A request body validated by its schema; a bad one is a 400 naming each problem. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ConsoleRequestError(400, parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return parsed.data;
}

/** Errors as `{error}` JSON: the request's own fault with its reason, ours logged and kept vague. */
export function consoleErrors(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((error, _req, reply) => {
    if (error instanceof ConsoleRequestError) return reply.status(error.status).send({ error: error.message, ...error.details });
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status < 500) return reply.status(status).send({ error: error.message });
    logger.error({ err: error }, 'console request failed');
    return reply.status(500).send({ error: 'internal error (see the service log)' });
  });
}
