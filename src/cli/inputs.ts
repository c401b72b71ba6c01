import fs from 'node:fs';
import { CliError } from './command.ts';

/** `file` if it is a readable file; otherwise a CliError saying what is wrong and that `what` is expected. */
export function inputFile(file: string, what: string): string {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) throw new CliError(`${file} does not exist: give ${what}`);
  if (stat.isDirectory()) throw new CliError(`${file} is a folder: give ${what}`);
  return file;
}
