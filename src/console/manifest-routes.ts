import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { manifestJsonSchema } from '../manifests/json-schema.ts';
import { compileManifest, type CompiledManifest } from '../manifests/load.ts';
import type { ManifestFileStatus } from '../manifests/watch.ts';
import { applyToHistory, previewEdit } from './backtest.ts';
import type { ConsoleContext } from './context.ts';
import { ConsoleRequestError, parseBody } from './request.ts';

/** A manifest file name: a plain `*.json` in MANIFESTS_DIR, never a path out of it. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}\.json$/;
const HOUR = 3600_000;

const EditSchema = z.object({ text: z.string().max(1_000_000) });
const SaveSchema = EditSchema.extend({ confirmBroken: z.boolean().default(false) });
const PreviewSchema = EditSchema.extend({ budgetMs: z.number().int().min(100).max(120_000).default(15_000) });
const HistorySchema = z.object({ dryRun: z.boolean() });

function fileOf(ctx: ConsoleContext, name: string): string {
  if (!NAME.test(name)) throw new ConsoleRequestError(400, `${JSON.stringify(name)} is not a manifest file name (letters, digits, ".", "_", "-", ending in .json)`);
  return path.join(ctx.manifestsDir, name);
}

/** The `author` block of a manifest text, as JSON, if the text parses. */
function authorOf(text: string | undefined): string | undefined {
  try {
    return JSON.stringify((JSON.parse(text ?? '{}') as { author?: unknown }).author);
  } catch {
    return undefined;
  }
}

/**
 * The console never touches credentials: a manifest's `author` block names where its password lives
 * (an env variable, a file) and the service it logs in to, so an edit of it could send any file of the
 * machine to any server. It is edited on disk only.
 */
function keepAuthor(before: string | undefined, after: string): void {
  if (authorOf(after) !== undefined && authorOf(after) !== authorOf(before))
    throw new ConsoleRequestError(403, 'the "author" block (credentials of social sets) can only be changed in the file itself, not from the console');
}

async function compileEdit(ctx: ConsoleContext, file: string, text: string) {
  return compileManifest(file, text, { services: ctx.services.compile });
}

const labelValueOf = (status: ManifestFileStatus) => {
  try {
    return status.running?.label.value ?? (JSON.parse(status.text) as { label?: { value?: string } }).label?.value;
  } catch {
    return undefined;
  }
};

async function manifestList(ctx: ConsoleContext) {
  const now = Date.now();
  const since = [new Date(now - HOUR).toISOString(), new Date(now - 24 * HOUR).toISOString()];
  const counts = new Map((await ctx.labeler.store.valueCounts(since)).map((c) => [c.val, c]));
  const posts = { lastHour: ctx.posts.countSince(since[0]!), lastDay: ctx.posts.countSince(since[1]!), stored: ctx.posts.countSince('') };
  const manifests = ctx.manifests.files().map((status) => {
    const label = labelValueOf(status);
    const count = label === undefined ? undefined : counts.get(label);
    return {
      name: path.basename(status.file),
      label: label ?? null,
      status: !status.problems.length ? 'loaded' : status.running ? 'broken, last good version running' : 'broken',
      version: status.running?.version ?? null,
      problems: status.problems.map(({ path: p, message }) => ({ path: p, message })),
      active: count?.active ?? 0,
      labelledLastHour: count?.activeSince[0] ?? 0,
      labelledLastDay: count?.activeSince[1] ?? 0,
    };
  });
  return { manifests, posts };
}

const running = (ctx: ConsoleContext, file: string): CompiledManifest | undefined => ctx.manifests.files().find((s) => s.file === file)?.running;

/** The manifests page: list, read, validate, save (hot reload picks it up), preview an edit, apply the running version to history. */
export function manifestRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get('/console/api/schema', async () => manifestJsonSchema());
  app.get('/console/api/manifests', async () => manifestList(ctx));

  app.get<{ Params: { name: string } }>('/console/api/manifests/:name', async (req) => {
    const file = fileOf(ctx, req.params.name);
    if (!fs.existsSync(file)) throw new ConsoleRequestError(404, `no manifest ${req.params.name} in ${ctx.manifestsDir}`);
    return { name: req.params.name, text: fs.readFileSync(file, 'utf8') };
  });

  app.post<{ Params: { name: string } }>('/console/api/manifests/:name/validate', async (req) => {
    const file = fileOf(ctx, req.params.name);
    const { text } = parseBody(EditSchema, req.body);
    return { problems: (await compileEdit(ctx, file, text)).problems };
  });

  app.put<{ Params: { name: string } }>('/console/api/manifests/:name', async (req, reply) => {
    const file = fileOf(ctx, req.params.name);
    const { text, confirmBroken } = parseBody(SaveSchema, req.body);
    const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    keepAuthor(before, text);
    const { manifest, problems } = await compileEdit(ctx, file, text);
    if (problems.length && !confirmBroken) return reply.status(409).send({ error: 'the manifest has problems: save anyway to keep its last good version running until it is fixed', problems });
    // Written beside it and renamed: the watcher never reads half a file.
    const temporary = path.join(ctx.manifestsDir, `.${req.params.name}.console-${process.pid}`);
    fs.writeFileSync(temporary, text);
    fs.renameSync(temporary, file);
    ctx.logger.info(
      {
        console: {
          action: 'save manifest',
          file,
          label: manifest?.label.value,
          from: running(ctx, file)?.version ?? null,
          to: manifest?.version ?? null,
          bytes: { before: before?.length ?? null, after: text.length },
          problems: problems.length,
        },
      },
      'console: manifest saved',
    );
    await ctx.manifests.reload();
    const status = (await manifestList(ctx)).manifests.find((m) => m.name === req.params.name);
    return { saved: true, manifest: status };
  });

  app.post<{ Params: { name: string } }>('/console/api/manifests/:name/preview', async (req, reply) => {
    const file = fileOf(ctx, req.params.name);
    const { text, budgetMs } = parseBody(PreviewSchema, req.body);
    keepAuthor(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined, text);
    const { manifest, problems } = await compileEdit(ctx, file, text);
    if (!manifest) return reply.status(422).send({ error: 'fix the manifest before previewing it', problems });
    const current = running(ctx, file);
    return ctx.jobs.start('preview', ctx.posts.countSince(''), (progress) => previewEdit({ posts: ctx.posts, services: ctx.services, progress, edited: manifest, current, budgetMs }));
  });

  app.post<{ Params: { name: string } }>('/console/api/manifests/:name/history', async (req) => {
    const file = fileOf(ctx, req.params.name);
    const { dryRun } = parseBody(HistorySchema, req.body);
    const manifest = running(ctx, file);
    if (!manifest) throw new ConsoleRequestError(409, `${req.params.name} is not running (broken or not loaded yet): nothing to apply`);
    const job = ctx.jobs.start(dryRun ? 'history dry run' : 'history', ctx.posts.countSince(''), async (progress) => {
      const result = await applyToHistory({ posts: ctx.posts, services: ctx.services, progress, labeler: ctx.labeler, manifest, dryRun });
      if (!dryRun) {
        ctx.metrics.labelsEmitted.inc({ label: manifest.label.value }, result.labelled);
        ctx.metrics.labelsNegated.inc({ label: manifest.label.value }, result.negated);
        ctx.logger.info({ console: { action: 'apply manifest to history', file, label: manifest.label.value, version: manifest.version, ...result } }, 'console: manifest applied to stored posts');
      }
      return result;
    });
    return job;
  });

  app.get<{ Params: { id: string } }>('/console/api/jobs/:id', async (req) => {
    const job = ctx.jobs.get(req.params.id);
    if (!job) throw new ConsoleRequestError(404, 'no such job (jobs are kept in memory: the service may have restarted)');
    return job;
  });
}
