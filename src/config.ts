import fs from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { lexicons } from '@atproto/api';
import { isValidNsid } from '@atproto/syntax';
import cron from 'node-cron';
import { z } from 'zod';

/** A comma-separated setting as a list of its non-empty, trimmed items. */
const commaList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((s) =>
      s
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    );

const knownValues = (ref: string) => (lexicons.getDefOrThrow(ref) as { knownValues: string[] }).knownValues;
const REASON_TYPES = new Set(knownValues('com.atproto.moderation.defs#reasonType'));

/**
 * A report reason as the lexicons name it: a full reason (`com.atproto.moderation.defs#reasonAppeal`),
 * or a short name (`appeal`) meaning that reason in `com.atproto.moderation.defs` and in
 * `tools.ozone.report.defs` where both exist, since clients send either.
 */
function reasonTypes(names: string[], ctx: z.RefinementCtx): string[] {
  return names.flatMap((name) => {
    if (REASON_TYPES.has(name)) return [name];
    const suffix = `#reason${name.charAt(0).toUpperCase()}${name.slice(1)}`;
    const full = ['com.atproto.moderation.defs', 'tools.ozone.report.defs'].map((nsid) => nsid + suffix).filter((reason) => REASON_TYPES.has(reason));
    if (!full.length)
      ctx.addIssue({
        code: 'custom',
        message: `${JSON.stringify(name)} is not a report reason (short names: appeal, other, spam, violation, misleading, sexual, rude; or a full reason of com.atproto.moderation.defs#reasonType)`,
      });
    return full;
  });
}

/** A setting written `true` or `false`. */
const flag = (fallback: 'true' | 'false') =>
  z
    .enum(['true', 'false'])
    .default(fallback)
    .transform((v) => v === 'true');

/**
 * Every setting comes from one environment variable, validated here. The README's config table
 * lists the same names; a test keeps the two in step.
 */
export const ConfigSchema = z.object({
  DATA_DIR: z.string().default('./data').describe('Directory for the SQLite database, the local signing key and other state.'),
  MANIFESTS_DIR: z.string().default('./manifests').describe('Directory of label manifests (`*.json`), watched for changes.'),
  MODELS_DIR: z.string().default('./models').describe('Directory of shipped and downloaded models.'),
  MODELS_ALLOW_REMOTE: flag('false').describe('Allow downloading a missing transformers.js embedding model from the Hugging Face hub into MODELS_DIR (`true`/`false`).'),
  EMBEDDING_BATCH_SIZE: z.coerce.number().int().positive().default(16).describe('Most texts sent to an embedding model in one call (the offline encoder is fastest around 8–16).'),
  EMBEDDING_CACHE_SIZE: z.coerce.number().int().nonnegative().default(20000).describe('Embeddings kept in memory (LRU), keyed by model and text; 0 turns the cache off.'),
  POLITICAL_MODE: z
    .enum(['default', 'quality'])
    .default('default')
    .describe(
      'Political classifier: `default` (fast n-gram model, every post of the firehose) or `quality` (posts the fast model is unsure of also get a Universal Sentence Encoder opinion: more accurate, ~25 ms per such post). See models/political/MODEL_CARD.md.',
    ),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional()
    .describe(
      'PostgreSQL URL of the label store (label state, the signed labels and their seq), shared by every process that serves or writes labels. Unset: the store is in the SQLite database under DATA_DIR. Its password is masked in logs.',
    ),
  NATS_URL: z
    .string()
    .default('nats://127.0.0.1:4222')
    .transform((s) =>
      s
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean),
    )
    .describe('Comma-separated NATS servers carrying events from `--role ingest` to `--role worker` (JetStream stream SKYSIFT_EVENTS).'),
  NATS_STREAM_REPLICAS: z.coerce
    .number()
    .int()
    .min(1)
    .max(5)
    .default(1)
    .describe('Copies of the event stream kept by a NATS cluster (3 on a 3-node cluster: the stream survives the loss of any one server).'),
  NATS_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(4).describe('Partitions of the event stream (by a hash of the author DID); every ingest and worker process must agree.'),
  WORKER_PARTITIONS: z
    .string()
    .optional()
    .transform((s) => s?.split(',').map((p) => Number(p.trim())))
    .pipe(z.array(z.number().int().min(0)).optional())
    .describe('Comma-separated partitions this `--role worker` process evaluates and labels (e.g. `0,1`); unset: all of them. Give each partition to one worker; a second worker given the same partition waits for it as a hot standby.'),
  WORKER_STANDBY: flag('true').describe('A `--role worker` process also takes over partitions that no worker holds (their worker was killed or its host lost) and hands each back when its own worker returns (`true`/`false`).'),
  TOXICITY_MODE: z
    .enum(['default', 'quality'])
    .default('default')
    .describe(
      'Toxicity classifier: `default` (fast n-gram model, every post of the firehose) or `quality` (posts the fast model is unsure of also get a Universal Sentence Encoder opinion: more accurate, ~25 ms per such post). See models/toxicity/MODEL_CARD.md.',
    ),
  STOP_TIMEOUT_SECONDS: z.coerce.number().positive().default(20).describe('How long `skysift start` waits for a graceful stop (the batch in hand committed, sockets closed) after SIGTERM or SIGINT before it exits anyway with status 1: every batch commits its labels and cursor together, so exiting there loses nothing.'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level. Logs are JSON, pretty-printed when stdout is a terminal.'),
  JETSTREAM_URL: z
    .url({ protocol: /^wss?$/ })
    .default('wss://jetstream1.us-east.bsky.network/subscribe')
    .describe('Jetstream endpoint to read the network from.'),
  JETSTREAM_REWIND_SECONDS: z.coerce.number().nonnegative().default(5).describe('On start, resume this many seconds before the stored cursor so that no event is missed.'),
  JETSTREAM_QUEUE_MAX: z.coerce.number().int().min(1).default(4096).describe('Events received and not yet evaluated above which reading from Jetstream pauses (backpressure); it resumes below half.'),
  JETSTREAM_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1).default(1_000_000).describe('A Jetstream message larger than this is skipped and counted as `oversized`.'),
  POST_RETENTION_DAYS: z.coerce.number().positive().default(7).describe('Stored posts older than this are pruned (hourly).'),
  FEEDS: commaList('')
    .pipe(z.array(z.string().startsWith('at://')))
    .describe('Comma-separated feed generator at-uris whose posts are synced, consolidated and evaluated like firehose posts.'),
  FEED_SYNC_CRON: z
    .string()
    .default('*/5 * * * *')
    .refine((s) => cron.validate(s), 'not a cron expression')
    .describe('node-cron schedule of the feed sync.'),
  ACCOUNT_SWEEP_CRON: z
    .string()
    .default('*/10 * * * *')
    .refine((s) => cron.validate(s), 'not a cron expression')
    .describe('node-cron schedule on which posts older than an account manifest\'s window age out and the accounts they leave are re-decided (labels lift or apply).'),
  FEED_SYNC_LIMIT: z.coerce.number().int().min(1).default(300).describe('At most this many posts per feed and sync (getFeed pages of up to 100).'),
  APPVIEW_URL: z.url().default('https://public.api.bsky.app').describe("AppView for app.bsky.* queries: feed sync, and the social operators' handles, follows, lists and starter packs."),
  LABELER_DID: z.string().startsWith('did:').optional().describe('DID of the labeler account (production). Unset with the key unset: local mode, signing as a did:key made under DATA_DIR.'),
  LABELER_SIGNING_KEY: z.string().optional().describe("The labeler's secp256k1 private key, hex. Secret."),
  LABELER_SIGNING_KEY_FILE: z.string().optional().describe('A file holding LABELER_SIGNING_KEY, instead of the variable.'),
  LABELER_PORT: z.coerce.number().int().min(0).max(65535).default(14831).describe("Port of the labeler's HTTP/WebSocket server (`subscribeLabels`, `queryLabels`, health, metrics)."),
  LABELER_HOST: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe(
      'Address the server listens on. Loopback by default, so a local run is not reachable from the network; `0.0.0.0` to serve other machines (the Docker image sets it; put a TLS proxy in front).',
    ),
  SIGNING_THREADS: z.coerce
    .number()
    .int()
    .min(0)
    .max(64)
    .default(Math.max(1, Math.min(4, availableParallelism() - 1)))
    .describe('Worker threads that sign labels (secp256k1, ~0.36 ms a label), beside the main thread that ingests, evaluates and serves; 0 signs on the main thread. Default: one fewer than the cores, at least 1, at most 4.'),
  EVALUATION_THREADS: z.coerce
    .number()
    .int()
    .min(0)
    .max(64)
    .default(Math.max(0, Math.min(4, availableParallelism() - 2)))
    .describe(
      "Worker threads that compute model features (the political and toxicity classifiers' inference) for the evaluator, each loading the same model files (~60-110 MB a thread); rules and the rest of evaluation stay on the main thread. Results are identical to computing in the process. A thread that fails leaves its posts' verdicts undecided (no label change) and is replaced. 0 computes on the main thread. Default: the cores left beside the main and signing threads, at most 4 (0 on 2 cores, where the threads measured slower).",
    ),
  CONSOLE_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters (e.g. `openssl rand -hex 24`)')
    .optional()
    .describe('Enables the operator console (`/console` on CONSOLE_PORT): the token an operator logs in with, required on every request. Unset (and no CONSOLE_TOKEN_FILE): no console. Secret.'),
  CONSOLE_TOKEN_FILE: z.string().optional().describe('A file holding CONSOLE_TOKEN, instead of the variable.'),
  CONSOLE_PORT: z.coerce.number().int().min(0).max(65535).default(14832).describe("Port of the operator console, apart from the labeler's public port."),
  CONSOLE_HOST: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe('Address the console listens on: loopback by default (reach it through an SSH tunnel); anything else exposes manifest editing to that network, token or not.'),
  LABELER_HANDLE: z.string().optional().describe('Handle (or DID) of the labeler account, to log in for `skysift setup` and `skysift declare`.'),
  LABELER_PASSWORD: z.string().optional().describe('Password of the labeler account: an app password is enough for `declare`; `setup` (a PLC operation) needs the account password. Secret.'),
  LABELER_PASSWORD_FILE: z.string().optional().describe('A file holding LABELER_PASSWORD, instead of the variable.'),
  LABELER_PDS_URL: z.url().default('https://bsky.social').describe('PDS of the labeler account, where `setup` and `declare` log in.'),
  LABELER_PLC_URL: z
    .url()
    .default('https://plc.directory')
    .describe("PLC directory holding the labeler's DID document (read by `setup`) and the reporters' DID documents (their keys sign createReport's service-auth tokens)."),
  LABELER_PUBLIC_URL: z.url().optional().describe("Public https URL of this labeler's server, published by `setup` as the `#atproto_labeler` service of the DID document."),
  LABELER_REASON_TYPES: commaList('appeal,other')
    .transform(reasonTypes)
    .describe(
      'Report reasons the labeler takes (`reasonTypes` of the declaration; createReport refuses others): comma-separated short names (`appeal`, `other`, `spam`, `violation`, `misleading`, `sexual`, `rude`) or full reasons. `appeal` lets users contest a label; `other` lets them point at a post or account that should carry one.',
    ),
  LABELER_SUBJECT_TYPES: commaList('account,record')
    .pipe(z.array(z.enum(['account', 'record'])).min(1))
    .describe('What reports may be about (`subjectTypes` of the declaration): `account`, `record` or both, comma-separated.'),
  LABELER_SUBJECT_COLLECTIONS: commaList('app.bsky.feed.post')
    .pipe(z.array(z.string().refine(isValidNsid, 'not a collection NSID')))
    .describe('Record collections reports may be about (`subjectCollections` of the declaration): the ones skysift labels.'),
  REPORTS_PER_REPORTER_PER_HOUR: z.coerce.number().int().min(1).default(20).describe('Reports (appeals included) one account may send per hour; more are refused with RateLimitExceeded.'),
  REPORTS_PER_MINUTE: z.coerce.number().int().min(1).default(300).describe('Reports taken per minute from everyone together; more are refused with RateLimitExceeded.'),
  LLM_BASE_URL: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('OpenAI-compatible API base for `llm_classification` (requests go to `<base>/chat/completions`). Unset: manifests using it are rejected.'),
  LLM_MODEL: z.string().optional().describe('Model name sent to the LLM endpoint; required with LLM_BASE_URL.'),
  LLM_API_KEY: z.string().optional().describe('Bearer token for the LLM endpoint. Secret.'),
  LLM_API_KEY_FILE: z.string().optional().describe('A file holding LLM_API_KEY, instead of the variable.'),
  LLM_BATCH_SIZE: z.coerce.number().int().min(1).max(200).default(20).describe('Posts classified per LLM request.'),
  LLM_CONCURRENCY: z.coerce.number().int().min(1).default(4).describe('LLM requests in flight at once.'),
  LLM_REQUESTS_PER_MINUTE: z.coerce.number().positive().default(60).describe('Most LLM requests started per minute (retries included).'),
  LLM_MAX_ATTEMPTS: z.coerce.number().int().min(1).default(4).describe('Attempts per LLM request (429, 5xx, timeouts, malformed answers are retried with backoff); then the posts stay undecided.'),
  LLM_TIMEOUT_SECONDS: z.coerce.number().positive().default(60).describe('Timeout of one LLM request.'),
  IMAGE_CDN_URL: z
    .url({ protocol: /^https?$/ })
    .default('https://cdn.bsky.app/img/feed_thumbnail/plain/{did}/{cid}@jpeg')
    .refine((url) => url.includes('{did}') && url.includes('{cid}'), 'must contain {did} and {cid}, e.g. https://cdn.bsky.app/img/feed_thumbnail/plain/{did}/{cid}@jpeg')
    .describe("Where `image_nsfw` and `image_hash_match` fetch a post's images: `{did}` becomes the author's DID, `{cid}` the image blob's CID."),
  IMAGE_MAX_BYTES: z.coerce.number().int().positive().default(5_000_000).describe('An image larger than this is not downloaded: its leaf stays undecided.'),
  IMAGE_TIMEOUT_SECONDS: z.coerce.number().positive().default(10).describe('Timeout of one image download (the whole body); a timed-out image leaves its leaf undecided.'),
  IMAGE_FETCH_CONCURRENCY: z.coerce.number().int().min(1).default(8).describe('Image downloads in flight at once.'),
  IMAGE_BATCH_SIZE: z.coerce.number().int().min(1).max(64).default(16).describe('Images the NSFW classifier scores in one call.'),
  IMAGE_CACHE_DAYS: z.coerce.number().positive().default(7).describe('How long image scores and hashes stay cached (in SQLite, keyed by blob CID).'),
  SOCIAL_CACHE_TTL_SECONDS: z.coerce.number().int().positive().default(21600).describe('How long a fetched membership set (follows, list, ...) stays valid; it is refreshed before it expires.'),
  SOCIAL_FETCH_CONCURRENCY: z.coerce.number().int().positive().default(4).describe('At most this many AppView requests at a time when fetching membership sets.'),
});

export type Config = z.infer<typeof ConfigSchema>;

/** Settings that must never be printed; `redactConfig` masks them. */
export const SECRET_KEYS: ReadonlySet<string> = new Set<string>(['LABELER_SIGNING_KEY', 'LABELER_PASSWORD', 'LLM_API_KEY', 'CONSOLE_TOKEN']);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; an empty variable counts as unset. Throws one ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input: Record<string, string> = {};
  for (const key of Object.keys(ConfigSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const key = String(issue.path[0] ?? '(config)');
        const shown = SECRET_KEYS.has(key) ? '' : ` (got ${JSON.stringify(input[key])})`;
        return `${key}: ${issue.message}${shown}`;
      }),
    );
  }
  return parsed.data;
}

/** A database URL as it may be shown: its password masked. */
function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '[redacted]';
  return parsed.href;
}

export function redactConfig(config: Config): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      key,
      SECRET_KEYS.has(key) && value !== undefined ? '[redacted]' : key === 'DATABASE_URL' && typeof value === 'string' ? withoutPassword(value) : value,
    ]),
  );
}

/** A secret setting: the variable itself, else the trimmed content of the file its `_FILE` twin names. */
export function readSecret(config: Config, name: 'LABELER_SIGNING_KEY' | 'LABELER_PASSWORD' | 'LLM_API_KEY' | 'CONSOLE_TOKEN'): string | undefined {
  const file = config[`${name}_FILE`];
  return config[name] || (file ? fs.readFileSync(file, 'utf8').trim() : undefined);
}

export function databasePath(config: Pick<Config, 'DATA_DIR'>): string {
  return path.join(config.DATA_DIR, 'skysift.sqlite');
}
