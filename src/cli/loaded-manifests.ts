import fs from 'node:fs';
import type { Config } from '../config.ts';
import { stderrLogger } from '../log.ts';
import { formatProblems, loadManifestFiles, manifestFiles, type CompiledManifest, type LoadResult } from '../manifests/load.ts';
import { openServices } from '../services/index.ts';
import { CliError } from './command.ts';

/** MANIFESTS_DIR, which must be a folder: the service, replays and publishing commands all read it. */
export function manifestsDir(config: Pick<Config, 'MANIFESTS_DIR'>): string {
  const dir = config.MANIFESTS_DIR;
  const stat = fs.statSync(dir, { throwIfNoEntry: false });
  if (!stat?.isDirectory()) throw new CliError(`MANIFESTS_DIR ${dir} ${stat ? 'is not a folder' : 'does not exist'}: create it, or set MANIFESTS_DIR to the folder of your manifests`);
  return dir;
}

/** The manifest files a command was given: one manifest file, or every `*.json` of a folder. */
export function manifestTargets(target: string): string[] {
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (!stat) throw new CliError(`${target} does not exist: give a manifest file or a folder of manifests`);
  return stat.isDirectory() ? manifestFiles(target) : [target];
}

/** Compiles the manifests of `target` (default MANIFESTS_DIR) with the services an offline command can open (no database), closed afterwards. */
export async function compileManifestsOffline(config: Config, target?: string): Promise<LoadResult> {
  const files = target === undefined ? manifestFiles(manifestsDir(config)) : manifestTargets(target);
  const services = await openServices({ config, logger: stderrLogger(config.LOG_LEVEL) });
  return loadManifestFiles(files, { services: services.compile }).finally(() => services.close());
}

/**
 * The manifests of MANIFESTS_DIR, all of them or an error: commands that publish or retire labels
 * must not mistake a broken manifest for a removed one.
 */
export async function loadAllManifests(config: Config): Promise<CompiledManifest[]> {
  const { manifests, problems } = await compileManifestsOffline(config);
  if (problems.length) throw new Error(`fix the manifests first (skysift manifests validate):\n${formatProblems(problems)}`);
  return manifests;
}
