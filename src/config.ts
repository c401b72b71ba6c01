import path from 'node:path';
import { z } from 'zod';

/**
 * Every setting comes from one environment variable, validated here. The README's config table
 * lists the same names; a test keeps the two in step.
 */
export const ConfigSchema = z.object({
  DATA_DIR: z.string().default('./data').describe('Directory for the SQLite database, the local signing key and other state.'),
  MANIFESTS_DIR: z.string().default('./manifests').describe('Directory of label manifests (`*.json`), watched for changes.'),
  MODELS_DIR: z.string().default('./models').describe('Directory of shipped and downloaded models.'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino log level. Logs are JSON, pretty-printed when stdout is a terminal.'),
  JETSTREAM_URL: z.url({ protocol: /^wss?$/ }).default('wss://jetstream1.us-east.bsky.network/subscribe').describe('Jetstream endpoint to read the network from.'),
  JETSTREAM_REWIND_SECONDS: z.coerce.number().nonnegative().default(5).describe('On start, resume this many seconds before the stored cursor so that no event is missed.'),
  LABELER_DID: z.string().startsWith('did:').optional().describe('DID of the labeler account (production). Unset with the key unset: local mode, signing as a did:key made under DATA_DIR.'),
  LABELER_SIGNING_KEY: z.string().optional().describe('The labeler\'s secp256k1 private key, hex. Secret.'),
  LABELER_SIGNING_KEY_FILE: z.string().optional().describe('A file holding LABELER_SIGNING_KEY, instead of the variable.'),
  LABELER_PORT: z.coerce.number().int().min(0).max(65535).default(14831).describe('Port of the labeler\'s HTTP/WebSocket server (`subscribeLabels`, `queryLabels`, health, metrics).'),
  APPVIEW_URL: z.url({ protocol: /^https?$/ }).default('https://public.api.bsky.app').describe('AppView the social operators resolve handles, follows, lists and starter packs against.'),
  SOCIAL_CACHE_TTL_SECONDS: z.coerce.number().int().positive().default(21600).describe('How long a fetched membership set (follows, list, ...) stays valid; it is refreshed before it expires.'),
  SOCIAL_FETCH_CONCURRENCY: z.coerce.number().int().positive().default(4).describe('At most this many AppView requests at a time when fetching membership sets.'),
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
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key, SECRET_KEYS.has(key) && value !== undefined ? '[redacted]' : value]),
  );
}

export function databasePath(config: Pick<Config, 'DATA_DIR'>): string {
  return path.join(config.DATA_DIR, 'skysift.sqlite');
}
