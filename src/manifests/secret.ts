import fs from 'node:fs';
import path from 'node:path';
import type { Credentials } from '../core/credentials.ts';
import type { Author } from './schema.ts';

/**
 * Reads the author's password from the environment variable or file it names (a relative file is
 * relative to the manifest's directory). Errors name the variable or file, never a value.
 */
export function resolveCredentials(author: Author, manifestFile: string): Credentials {
  const ref = author.password;
  let password: string | undefined;
  if ('env' in ref) {
    password = process.env[ref.env];
    if (!password) throw new Error(`environment variable ${ref.env} is not set`);
  } else {
    const file = path.resolve(path.dirname(manifestFile), ref.file);
    try {
      password = fs.readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new Error(`password file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!password) throw new Error(`password file ${file} is empty`);
  }
  return { identifier: author.handle, password, service: author.service };
}
