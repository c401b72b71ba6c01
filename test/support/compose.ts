import fs from 'node:fs';
import { parse } from 'yaml';
import { ROOT } from './cli.ts';

/** The parts of a compose service this repository's compose file uses. */
export interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
}

/** The repository's compose file, with its `<<` merge keys resolved as compose resolves them. */
export function loadCompose(file = `${ROOT}/compose.yaml`): Record<string, ComposeService> {
  return (parse(fs.readFileSync(file, 'utf8'), { merge: true }) as { services: Record<string, ComposeService> }).services;
}

/** `${NAME}` and `${NAME:?message}` as compose interpolates them: a required one that is unset fails, with its message. */
export function interpolate(value: string, env: Readonly<Record<string, string>>): string {
  return value.replace(/\$\{(\w+)(?::\?([^}]*))?\}/g, (_, name: string, required: string | undefined) => {
    const set = env[name];
    if (set === undefined) throw new Error(required !== undefined ? `${name}: ${required}` : `${name} is not set`);
    return set;
  });
}

/** The environment the image sets (`ENV` of the Dockerfile's last stage), which compose's `environment` adds to. */
export function imageEnvironment(file = `${ROOT}/Dockerfile`): Record<string, string> {
  const stages = fs.readFileSync(file, 'utf8').split(/^FROM /m);
  const env: Record<string, string> = {};
  for (const [, pairs] of stages.at(-1)!.matchAll(/^ENV (.+)$/gm)) for (const [, key, value] of pairs!.matchAll(/(\w+)=(\S+)/g)) env[key!] = value!;
  return env;
}
