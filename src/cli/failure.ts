import { ConfigError } from '../config.ts';
import { UsageError, type Command } from './command.ts';

/**
 * For commands that talk to other services (a PDS, the PLC directory): a refusal there is the operator's
 * to fix, so it is printed as one line naming the command, exit 1, rather than as a stack trace.
 * Usage and configuration errors still go to `main`, which reports them its own way.
 */
export function reportingFailures(name: string, run: Command['run']): Command['run'] {
  return async (input) => {
    try {
      return await run(input);
    } catch (error) {
      if (error instanceof UsageError || error instanceof ConfigError || !(error instanceof Error)) throw error;
      console.error(`skysift ${name}: ${error.message}`);
      return 1;
    }
  };
}
