import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { activeKey } from '../label/store.ts';
import { isAppeal, type ReportStatus } from '../moderation/reports.ts';
import { resolveReport, ResolutionError } from '../moderation/resolve.ts';
import type { ConsoleContext } from './context.ts';
import { ConsoleRequestError, parseBody } from './request.ts';

const SearchSchema = z.object({
  val: z.string().min(1).optional(),
  subject: z.string().min(1).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  active: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** Who decided, as recorded: the name the operator gave the console, marked as the console's. */
const Decider = z.string().trim().min(1).max(100).default('operator');

const DecisionSchema = z.object({ uri: z.string().regex(/^(at:\/\/|did:)/, 'an at-uri or a DID'), val: z.string().min(1), active: z.boolean(), reason: z.string().max(2000).optional(), by: Decider });
const ClearSchema = DecisionSchema.pick({ uri: true, val: true, by: true });
const ResolveSchema = z.object({ outcome: z.enum(['upheld', 'rejected']), why: z.string().trim().min(1, 'say why'), label: z.string().min(1).optional(), by: Decider });

const STATUSES: Record<string, ReportStatus[]> = { open: ['open'], resolved: ['upheld', 'rejected'], all: ['open', 'upheld', 'rejected'] };

/** The labels page: search label state, one subject's labels with their explanations and history, decisions by hand, the reports queue. */
export function labelRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  const { labeler, posts, reports, logger } = ctx;

  app.get('/console/api/labels', async (req) => {
    const search = parseBody(SearchSchema, req.query);
    return { labels: (await labeler.store.search(search)).map(({ explanation: _, ...row }) => row) };
  });

  app.get('/console/api/subject', async (req) => {
    const { uri } = parseBody(z.object({ uri: z.string().min(1) }), req.query);
    const post = posts.get(uri);
    const [rows, overrides, log] = await Promise.all([
      labeler.store.forSubject(uri),
      labeler.store.overrides([uri]),
      labeler.store.query({ uris: [uri], prefixes: [], sources: [], after: 0, limit: 200 }),
    ]);
    return {
      uri,
      post: post ? { text: post.record.text ?? '', author: post.author, createdAt: post.record.createdAt ?? null, indexedAt: post.indexedAt } : null,
      labels: rows.map((r) => ({ ...r, explanation: JSON.parse(r.explanation) as unknown, override: overrides.get(activeKey(uri, r.val)) ?? null })),
      overrides: [...overrides.values()],
      history: log.map(({ id, val, neg, cts, cid, exp }) => ({ id, val, neg, cts, cid, exp })),
    };
  });

  app.post('/console/api/labels', async (req) => {
    const { uri, val, active, reason, by } = parseBody(DecisionSchema, req.body);
    // The app shows only declared labels: applying one no manifest declares would label into the void.
    if (active && !ctx.manifests.current().some((m) => m.label.value === val)) throw new ConsoleRequestError(409, `${val} is not the label of a running manifest`);
    const cid = active && uri.startsWith('at://') ? posts.get(uri)?.cid : undefined;
    const changed = await labeler.override({ uri, val, active, ...(cid ? { cid } : {}), by: `console:${by}`, ...(reason ? { reason } : {}) });
    logger.info({ console: { action: active ? 'apply label' : 'negate label', uri, val, by, reason, changed: Boolean(changed) } }, 'console: label decided by hand');
    return { changed: changed ?? null };
  });

  app.post('/console/api/labels/clear', async (req) => {
    const { uri, val, by } = parseBody(ClearSchema, req.body);
    const { override, changed } = await labeler.clearOverride({ uri, val });
    if (!override) throw new ConsoleRequestError(404, `no decision by hand on ${val} for ${uri}`);
    logger.info(
      { console: { action: 'clear decision by hand', uri, val, by, was: { active: override.active, by: override.createdBy }, changed: changed ? { active: changed.active } : null } },
      'console: decision by hand cleared',
    );
    return { changed: changed ?? null };
  });

  app.get('/console/api/reports', async (req) => {
    const { status } = parseBody(z.object({ status: z.enum(['open', 'resolved', 'all']).default('open') }), req.query);
    return { reports: reports.list(STATUSES[status]!, 200).map((r) => ({ ...r, appeal: isAppeal(r.reasonType) })), counts: reports.counts() };
  });

  app.post<{ Params: { id: string } }>('/console/api/reports/:id/resolve', async (req) => {
    const id = Number(req.params.id);
    if (!Number.isInteger(id)) throw new ConsoleRequestError(400, 'a report number');
    const { outcome, why, label, by } = parseBody(ResolveSchema, req.body);
    try {
      const { report, changed } = await resolveReport(reports, labeler, { id, outcome, why, by: `console:${by}`, ...(label ? { label } : {}) });
      logger.info({ console: { action: 'resolve report', id, outcome, why, by, changed: changed.map((r) => ({ uri: r.uri, val: r.val, active: r.active })) } }, 'console: report resolved');
      return { report, changed };
    } catch (error) {
      if (error instanceof ResolutionError) throw new ConsoleRequestError(409, error.message);
      throw error;
    }
  });
}
