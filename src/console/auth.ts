import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RateLimiterMemory } from 'rate-limiter-flexible';

export const SESSION_COOKIE = 'skysift_console';
/** The header a browser page sends with every write: a cross-site page can neither read it nor set it without CORS. */
export const CSRF_HEADER = 'x-skysift-csrf';
export const LOGIN_PATH = '/console/login';
/** Wrong tokens (logins or bearer headers) an address may send per minute; then it is refused for a minute, right token or not. */
export const FAILURES_PER_MINUTE = 10;

/** Equal, in time that does not depend on where they differ. */
function same(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

function cookie(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/**
 * The console's credentials, all derived from the one token: the session cookie's value and the CSRF
 * value are HMACs of it, so nothing is stored server-side and changing the token logs everyone out.
 */
export class ConsoleAuth {
  readonly session: string;
  readonly csrf: string;
  private readonly failures = new RateLimiterMemory({ points: FAILURES_PER_MINUTE, duration: 60, blockDuration: 60 });

  constructor(private readonly token: string) {
    this.session = createHmac('sha256', token).update('skysift console session').digest('base64url');
    this.csrf = createHmac('sha256', token).update('skysift console csrf').digest('base64url');
  }

  /** Counts a wrong token (in the login form or a bearer header) against the address it came from. */
  async wrongToken(ip: string): Promise<void> {
    await this.failures.consume(ip).catch(() => undefined);
  }

  /** How long an address that sent too many wrong tokens stays refused (ms), or 0. */
  async refusedFor(ip: string): Promise<number> {
    const state = await this.failures.get(ip);
    return state && state.consumedPoints >= FAILURES_PER_MINUTE ? state.msBeforeNext : 0;
  }

  isCsrf(candidate: unknown): boolean {
    return typeof candidate === 'string' && same(candidate, this.csrf);
  }

  isToken(candidate: unknown): boolean {
    return typeof candidate === 'string' && same(candidate, this.token);
  }

  /** How the request proves it holds the token: a bearer header (scripts), the session cookie (the page), or not at all. */
  credential(req: FastifyRequest): 'bearer' | 'cookie' | undefined {
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ') && this.isToken(header.slice(7))) return 'bearer';
    const session = cookie(req, SESSION_COOKIE);
    return session !== undefined && same(session, this.session) ? 'cookie' : undefined;
  }

  sessionCookie(): string {
    return `${SESSION_COOKIE}=${this.session}; Path=/console; HttpOnly; SameSite=Strict`;
  }
}

const isWrite = (req: FastifyRequest) => !['GET', 'HEAD', 'OPTIONS'].includes(req.method);

/** A write from a page of another origin (the browser says so in `Origin`): refused whatever it carries. */
function crossOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

/**
 * Every request to the console carries the token (bearer header or the session cookie the login sets);
 * only the login page and the login itself do without. A write is refused when it comes from another
 * origin, and, with the cookie, when it lacks the CSRF header.
 */
export function requireToken(app: FastifyInstance, auth: ConsoleAuth): void {
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (isWrite(req) && crossOrigin(req)) return reply.status(403).send({ error: 'CrossOrigin', message: 'writes are taken from the console page only' });
    const refused = await auth.refusedFor(req.ip);
    if (refused) return reply.status(429).send({ error: 'TooManyWrongTokens', message: `too many wrong tokens from ${req.ip}: try again in ${Math.ceil(refused / 1000)} s` });
    const path = req.url.split('?')[0];
    if (path === LOGIN_PATH) return;
    const credential = auth.credential(req);
    if (!credential && req.headers.authorization) await auth.wrongToken(req.ip);
    if (!credential) {
      if (req.method === 'GET' && !path!.startsWith('/console/api/')) return reply.redirect(LOGIN_PATH);
      return reply.status(401).send({ error: 'AuthRequired', message: 'the console token is required: log in at /console/login or send Authorization: Bearer <CONSOLE_TOKEN>' });
    }
    if (isWrite(req) && credential === 'cookie' && !auth.isCsrf(req.headers[CSRF_HEADER])) {
      return reply.status(403).send({ error: 'CsrfTokenMissing', message: `a write needs the ${CSRF_HEADER} header the console page sends` });
    }
  });
}
