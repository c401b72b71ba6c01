import type { ParseArgsConfig } from 'node:util';

export interface CommandInput {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

/** One CLI command: `skysift <name> [options] [args]`. Returns the process exit code. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options?: NonNullable<ParseArgsConfig['options']>;
  positionals?: { min: number; max: number };
  run(input: CommandInput): Promise<number>;
}

/** A mistake in how the command was called: reported with the usage line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
