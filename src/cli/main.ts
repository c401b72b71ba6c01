import { parseArgs } from 'node:util';
import { ConfigError } from '../config.ts';
import { UsageError, type Command } from './command.ts';
import { commands } from './commands.ts';

function helpText(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'skysift — a Bluesky labeler driven by manifests',
    '',
    'Usage: skysift <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `skysift <command> --help` for a command\'s options. Configuration comes from environment variables (see README).',
  ].join('\n');
}

function commandHelp(command: Command): string {
  const options = Object.entries(command.options ?? {}).map(
    ([name, o]) => `  --${name}${o.type === 'string' ? ' <value>' : ''}${o.short ? `, -${o.short}` : ''}`,
  );
  return [`Usage: skysift ${command.usage}`, '', command.summary, ...(options.length ? ['', 'Options:', ...options] : [])].join('\n');
}

/** Finds the command named by the first one or two words (`manifests validate`). */
function findCommand(argv: string[]): { command: Command; rest: string[] } | undefined {
  const two = `${argv[0]} ${argv[1]}`;
  const byTwo = commands.find((c) => c.name === two);
  if (byTwo) return { command: byTwo, rest: argv.slice(2) };
  const byOne = commands.find((c) => c.name === argv[0]);
  if (byOne) return { command: byOne, rest: argv.slice(1) };
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    console.log(helpText());
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    const group = commands.filter((c) => c.name.startsWith(`${argv[0]} `));
    const hint = group.length ? `\n${argv[0]} has: ${group.map((c) => c.name).join(', ')}` : '';
    console.error(`skysift: unknown command '${argv.slice(0, 2).join(' ')}'.${hint}\nRun 'skysift --help' for the list of commands.`);
    return 2;
  }
  const { command, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(commandHelp(command));
    return 0;
  }
  try {
    const { values, positionals } = parseArgs({ args: rest, options: command.options ?? {}, allowPositionals: true, strict: true });
    const bounds = command.positionals ?? { min: 0, max: 0 };
    if (positionals.length < bounds.min || positionals.length > bounds.max) {
      throw new UsageError(`expected ${bounds.min === bounds.max ? bounds.min : `${bounds.min} to ${bounds.max}`} argument(s), got ${positionals.length}`);
    }
    return await command.run({ values, positionals });
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`skysift ${command.name}: ${(error as Error).message}\nUsage: skysift ${command.usage}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
}
