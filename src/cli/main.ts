import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config.ts';
import { CliError, UsageError, type Command, type CommandOption } from './command.ts';
import { commands } from './commands.ts';

const HELP = ['--help', '-h'];

function version(): string {
  return (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

function commandList(list: readonly Command[]): string[] {
  const width = Math.max(...list.map((c) => c.name.length));
  return list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
}

function helpText(): string {
  return [
    'skysift — a Bluesky labeler driven by manifests',
    '',
    'Usage: skysift <command> [options]',
    '',
    'Commands:',
    ...commandList(commands),
    '',
    'Options:',
    '  --help, -h     Show help (also after a command)',
    '  --version, -v  Print the version',
    '',
    "Run `skysift <command> --help` for a command's options. Configuration comes from environment variables (see README).",
  ].join('\n');
}

/** `skysift manifests --help`: the commands of a group such as `manifests validate` and `manifests schema`. */
function groupHelp(group: string, members: readonly Command[]): string {
  return [`Usage: skysift ${group} <command> [options]`, '', 'Commands:', ...commandList(members), '', `Run \`skysift ${group} <command> --help\` for its options.`].join('\n');
}

function optionHelp(name: string, option: CommandOption): [string, string] {
  const flag = `--${name}${option.type === 'string' ? ` ${option.value ?? '<value>'}` : ''}${option.short ? `, -${option.short}` : ''}`;
  const fallback = option.required ? '(required)' : `(default: ${option.default ?? (option.type === 'boolean' ? 'off' : 'none')})`;
  return [flag, `${option.description} ${fallback}`];
}

export function commandHelp(command: Command): string {
  const rows = [...Object.entries(command.options ?? {}).map(([name, option]) => optionHelp(name, option)), ['--help, -h', 'Show this help'] as [string, string]];
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return [`Usage: skysift ${command.usage}`, '', command.summary, '', 'Options:', ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`)].join('\n');
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

/** A Node file-system error (ENOENT, EACCES, ...) on a path: a mistake in a path the operator gave. */
function isFileError(error: unknown): error is NodeJS.ErrnoException & { path: string } {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).path === 'string' && /^E[A-Z]+$/.test((error as NodeJS.ErrnoException).code ?? '');
}

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || HELP.includes(argv[0]!) || argv[0] === 'help') {
    console.log(helpText());
    return 0;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    console.log(`skysift ${version()}`);
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    const group = commands.filter((c) => c.name.startsWith(`${argv[0]} `));
    if (group.length && (argv.length === 1 || HELP.includes(argv[1]!))) {
      if (argv.length > 1) {
        console.log(groupHelp(argv[0]!, group));
        return 0;
      }
      console.error(`skysift ${argv[0]}: which one? ${group.map((c) => c.name).join(', ')}\n${groupHelp(argv[0]!, group)}`);
      return 2;
    }
    const hint = group.length ? `\n${argv[0]} has: ${group.map((c) => c.name).join(', ')}` : '';
    console.error(`skysift: unknown command '${argv.slice(0, 2).join(' ')}'.${hint}\nRun 'skysift --help' for the list of commands.`);
    return 2;
  }
  const { command, rest } = found;
  if (rest.some((arg) => HELP.includes(arg))) {
    console.log(commandHelp(command));
    return 0;
  }
  try {
    const options = Object.fromEntries(Object.entries(command.options ?? {}).map(([name, { type, short }]) => [name, { type, ...(short && { short }) }]));
    const { values, positionals } = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
    const bounds = command.positionals ?? { min: 0, max: 0 };
    if (positionals.length < bounds.min || positionals.length > bounds.max) {
      throw new UsageError(`expected ${bounds.min === bounds.max ? bounds.min : `${bounds.min} to ${bounds.max}`} argument(s), got ${positionals.length}`);
    }
    const missing = Object.entries(command.options ?? {}).filter(([name, option]) => option.required && values[name] === undefined);
    if (missing.length) throw new UsageError(`${missing.map(([name]) => `--${name}`).join(' and ')} ${missing.length > 1 ? 'are' : 'is'} required`);
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
    if (error instanceof CliError || isFileError(error)) {
      console.error(`skysift ${command.name}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
