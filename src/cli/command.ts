export interface CommandInput {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

/** One `--name` option of a command, described for `skysift <command> --help`. */
export interface CommandOption {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's placeholder in the help, e.g. `<file>`. */
  value?: string;
  description: string;
  /** What applies when the option is left out, shown as "(default: …)"; a required option says so instead. */
  default?: string;
  required?: boolean;
}

/** One CLI command: `skysift <name> [options] [args]`. Returns the process exit code. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options?: Record<string, CommandOption>;
  positionals?: { min: number; max: number };
  run(input: CommandInput): Promise<number>;
}

/** A mistake in how the command was called: reported with the usage line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * A mistake the operator can fix (a missing file, a port in use, a bad row in a data file): reported as
 * one line, `skysift <command>: <what is wrong>: <what to do>`, exit code 1, never with a stack trace.
 */
export class CliError extends Error {
  override name = 'CliError';
}
