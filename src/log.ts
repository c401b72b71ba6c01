import pino, { type Logger } from 'pino';
import { SECRET_KEYS } from './config.ts';

export type { Logger };

/** JSON logs for machines, pretty ones when a person is watching the terminal. */
export function createLogger(level: string, options: { pretty?: boolean; destination?: pino.DestinationStream } = {}): Logger {
  const pretty = options.pretty ?? Boolean(process.stdout.isTTY);
  const base: pino.LoggerOptions = {
    level,
    name: 'skysift',
    // A second line of defence: secrets must never reach a log even if a caller logs a whole object.
    redact: { paths: ['*.password', '*.signingKey', '*.appPassword', '*.apiKey', ...[...SECRET_KEYS].map((key) => `*.${key}`)], censor: '[redacted]' },
  };
  if (options.destination) return pino(base, options.destination);
  if (pretty) return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true } } });
  return pino(base);
}

/** For commands whose stdout carries their result: logs go to stderr. */
export function stderrLogger(level: string): Logger {
  return createLogger(level, { destination: pino.destination(2) });
}
