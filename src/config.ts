import path from 'node:path';
import cron from 'node-cron';
import { z } from 'zod';

/**
 * Every setting comes from one environment variable, validated here. The README's config table
 * lists the same names; a test keeps the two in step.
 */
export const ConfigSchema = z.object({
  DATA_DIR: z.string().default('./data').describe('Directory for the SQLite database, the local signing key and other state.'),
  MANIFESTS_DIR: z.string().default('./manifests').describe('Directory of label manifests (`*.json`), watched for changes.'),
  MODELS_DIR: z.string().default('./models').describe('Directory of shipped and downloaded models.'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level. Logs are JSON, pretty-printed when stdout is a terminal.'),
  JETSTREAM_URL: z
    .url({ protocol: /^wss?$/ })
    .default('wss://jetstream1.us-east.bsky.network/subscribe')
    .describe('Jetstream endpoint to read the network from.'),
  JETSTREAM_REWIND_SECONDS: z.coerce.number().nonnegative().default(5).describe('On start, resume this many seconds before the stored cursor so that no event is missed.'),
  JETSTREAM_QUEUE_MAX: z.coerce.number().int().min(1).default(4096).describe('Events received and not yet evaluated above which reading from Jetstream pauses (backpressure); it resumes below half.'),
  JETSTREAM_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1).default(1_000_000).describe('A Jetstream message larger than this is skipped and counted as `oversized`.'),
  POST_RETENTION_DAYS: z.coerce.number().positive().default(7).describe('Stored posts older than this are pruned (hourly).'),
  FEEDS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((f) => f.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().startsWith('at://')))
    .describe('Comma-separated feed generator at-uris whose posts are synced, consolidated and evaluated like firehose posts.'),
  FEED_SYNC_CRON: z
    .string()
    .default('*/5 * * * *')
    .refine((s) => cron.validate(s), 'not a cron expression')
    .describe('node-cron schedule of the feed sync.'),
  FEED_SYNC_LIMIT: z.coerce.number().int().min(1).default(300).describe('At most this many posts per feed and sync (getFeed pages of up to 100).'),
  APPVIEW_URL: z.url().default('https://public.api.bsky.app').describe('AppView serving app.bsky.* queries (feed sync).'),
  LABELER_DID: z.string().startsWith('did:').optional().describe('DID of the labeler account (production). Unset with the key unset: local mode, signing as a did:key made under DATA_DIR.'),
  LABELER_SIGNING_KEY: z.string().optional().describe("The labeler's secp256k1 private key, hex. Secret."),
  LABELER_SIGNING_KEY_FILE: z.string().optional().describe('A file holding LABELER_SIGNING_KEY, instead of the variable.'),
  LABELER_PORT: z.coerce.number().int().min(0).max(65535).default(14831).describe("Port of the labeler's HTTP/WebSocket server (`subscribeLabels`, `queryLabels`, health, metrics)."),
});

export type Config = z.infer<typeof ConfigSchema>;

/** Settings that must never be printed; `redactConfig` masks them. */
const SECRET_KEYS = new Set<string>(['LABELER_SIGNING_KEY']);

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

export function redactConfig(config: Config): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [key, SECRET_KEYS.has(key) && value !== undefined ? '[redacted]' : value]));
}

export function databasePath(config: Pick<Config, 'DATA_DIR'>): string {
  return path.join(config.DATA_DIR, 'skysift.sqlite');
}
