import pino, { type Logger } from 'pino';
import { SECRET_KEYS } from './config.ts';

export type { Logger };

/** One error the service logged, as the operator console shows it. */
export interface LoggedError {
  time: string;
  msg: string;
  err?: string;
}

const RECENT_ERRORS = 50;
const recent: LoggedError[] = [];

/** The last errors logged by loggers of `createLogger`, newest last. */
export function recentErrors(): readonly LoggedError[] {
  return recent;
}

function remember(args: unknown[]): void {
  const [first, second] = args;
  const fields = first && typeof first === 'object' ? (first as { err?: unknown; msg?: unknown }) : undefined;
  const msg = typeof first === 'string' ? first : typeof second === 'string' ? second : String(fields?.msg ?? '');
  const err = fields?.err instanceof Error ? fields.err.message : first instanceof Error ? first.message : undefined;
  recent.push({ time: new Date().toISOString(), msg, ...(err !== undefined && { err }) });
  if (recent.length > RECENT_ERRORS) recent.shift();
}

/** JSON logs for machines, pretty ones when a person is watching the terminal. */
export function createLogger(level: string, options: { pretty?: boolean; destination?: pino.DestinationStream } = {}): Logger {
  const pretty = options.pretty ?? Boolean(process.stdout.isTTY);
  const base: pino.LoggerOptions = {
    level,
    name: 'skysift',
    // A second line of defence: secrets must never reach a log even if a caller logs a whole object.
    redact: { paths: ['*.password', '*.signingKey', '*.appPassword', '*.apiKey', ...[...SECRET_KEYS].map((key) => `*.${key}`)], censor: '[redacted]' },
    hooks: {
      logMethod(args, method, level) {
        if (level >= 50) remember(args);
        return method.apply(this, args);
      },
    },
  };
  if (options.destination) return pino(base, options.destination);
  if (pretty) return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true } } });
  return pino(base);
}

/** For commands whose stdout carries their result: logs go to stderr. */
export function stderrLogger(level: string): Logger {
  return createLogger(level, { destination: pino.destination(2) });
}
