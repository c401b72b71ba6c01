import fastify, { type FastifyInstance } from 'fastify';
import { recentErrors } from '../log.ts';
import { bundleAssets, consolePage, loginPage } from './assets.ts';
import { ConsoleAuth, LOGIN_PATH, requireToken, SESSION_COOKIE } from './auth.ts';
import type { ConsoleContext } from './context.ts';
import { HealthSampler } from './health-sampler.ts';
import { Jobs } from './jobs.ts';
import { labelRoutes } from './label-routes.ts';
import { manifestRoutes } from './manifest-routes.ts';
import { consoleErrors } from './request.ts';

export interface ConsoleOptions extends Omit<ConsoleContext, 'jobs'> {
  token: string;
  port: number;
  host: string;
  /** How often the health charts sample the metrics. */
  sampleIntervalMs?: number;
}

export interface RunningConsole {
  /** The console's base URL, `http://host:port/console`. */
  url: string;
  close(): Promise<void>;
}

/** Nothing of the console is cached, framed, or allowed to load from anywhere but itself. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer a form post says `Origin: null`, which the origin check refuses.
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

/** A form post's fields (the login form), without a library for one field. */
function formBody(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))));
}

/**
 * The operator console on its own port: manifests (edit, validate, preview, save, apply to history),
 * labels and reports, health. Every request needs the token; writes are logged with what changed.
 */
export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  const { token, port, host, sampleIntervalMs, ...parts } = options;
  const ctx: ConsoleContext = { ...parts, jobs: new Jobs() };
  const auth = new ConsoleAuth(token);
  const assets = await bundleAssets();
  const sampler = new HealthSampler(ctx.metrics, () => void ctx.health(), sampleIntervalMs);
  const app = fastify({ bodyLimit: 2 * 1024 * 1024 });
  formBody(app);
  consoleErrors(app, ctx.logger);
  app.addHook('onSend', async (_req, reply) => void reply.headers(SECURITY_HEADERS));
  requireToken(app, auth);

  app.get(LOGIN_PATH, async (_req, reply) => reply.type('text/html').send(loginPage()));
  app.post<{ Body: { token?: unknown } }>(LOGIN_PATH, async (req, reply) => {
    if (!auth.isToken(req.body?.token)) {
      await auth.wrongToken(req.ip);
      ctx.logger.warn({ console: { action: 'login refused', ip: req.ip } }, 'console: login with a wrong token');
      return reply.status(401).type('text/html').send(loginPage('That is not the console token.'));
    }
    ctx.logger.info({ console: { action: 'login', ip: req.ip } }, 'console: operator logged in');
    return reply.header('set-cookie', auth.sessionCookie()).redirect('/console', 303);
  });
  app.post('/console/logout', async (_req, reply) => reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0`).send({ ok: true }));
  app.get('/console', async (_req, reply) => reply.type('text/html').send(consolePage()));
  app.get('/console/app.js', async (_req, reply) => reply.type('text/javascript').send(assets.js));
  app.get('/console/app.css', async (_req, reply) => reply.type('text/css').send(assets.css));
  app.get('/console/api/session', async () => ({ csrf: auth.csrf }));
  app.get('/console/api/health', async () => ({ report: ctx.health(), points: sampler.points(), errors: recentErrors().slice().reverse() }));
  manifestRoutes(app, ctx);
  labelRoutes(app, ctx);

  await sampler.start();
  const address = await app.listen({ port, host }).catch((error: unknown) => {
    sampler.stop();
    throw error;
  });
  return {
    url: `${address}/console`,
    async close() {
      sampler.stop();
      await app.close();
    },
  };
}
