import { ConfigError } from '../config.ts';
import { CliError, UsageError, type Command } from './command.ts';

/**
 * For commands that talk to other services (a PDS, the PLC directory): a refusal there is the operator's
 * to fix, so it is reported like any CliError (one line naming the command, exit 1), not as a stack trace.
 */
export function reportingFailures(run: Command['run']): Command['run'] {
  return async (input) => {
    try {
      return await run(input);
    } catch (error) {
      if (error instanceof UsageError || error instanceof ConfigError || error instanceof CliError || !(error instanceof Error)) throw error;
      throw new CliError(error.message, { cause: error });
    }
  };
}
