import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { PROFILE_COLLECTION } from '../consolidate/profile.ts';
import type { Credentials } from '../core/credentials.ts';
import { CompileServices } from '../core/services.ts';
import { compileFilter, type CompiledNode, type OperatorRegistry, type Problem } from '../evaluate/compile.ts';
import { ParamsSchema } from '../evaluate/params.ts';
import { issueMessage } from '../messages.ts';
import { operators } from '../operators/index.ts';
import type { Label } from './label.ts';
import { ManifestSchema, type Aggregate, type Manifest } from './schema.ts';
import { resolveCredentials } from './secret.ts';

/** A manifest ready to evaluate: its label, its compiled filter, and a version that changes with its content. */
export interface CompiledManifest {
  file: string;
  label: Label;
  version: string;
  filter: CompiledNode;
  /** Jetstream collections this manifest needs besides posts (its operators', profiles for a profile manifest). */
  collections: readonly string[];
  subject: ManifestSubject;
}

/**
 * What a manifest labels and from what: each post it matches; an account from its profile record; or an
 * account from the share of its recent posts the filter matches (docs/account-labels.md).
 */
export type ManifestSubject = { kind: 'post' } | { kind: 'profile' } | { kind: 'account-posts'; aggregate: Aggregate };

function manifestSubject({ subject, aggregate }: Manifest): ManifestSubject {
  if (subject === 'post') return { kind: 'post' };
  return aggregate ? { kind: 'account-posts', aggregate } : { kind: 'profile' };
}

function* leaves(node: CompiledNode): Generator<Extract<CompiledNode, { kind: 'leaf' }>> {
  if (node.kind === 'leaf') yield node;
  else for (const child of node.children) yield* leaves(child);
}

/** What contradicts the manifest's subject: an aggregate on posts, or an operator that reads posts in a profile manifest. */
function subjectProblems(subject: ManifestSubject, manifest: Manifest, filter: CompiledNode, registry: OperatorRegistry): Problem[] {
  if (manifest.subject === 'post' && manifest.aggregate)
    return [{ path: 'aggregate', message: 'an aggregate labels the account from its posts: add "subject": "account" (or remove "aggregate" to label posts)' }];
  if (subject.kind !== 'profile') return [];
  const allowed = [...new Set([...registry.values()].filter((d) => d.profiles).map((d) => d.name))].sort().join(', ');
  return [...leaves(filter)]
    .filter((leaf) => !registry.get(leaf.op)?.profiles)
    .map((leaf) => ({
      path: leaf.path,
      message: `${leaf.op} reads posts, but this manifest labels accounts from their profile ("subject": "account" without "aggregate"); on a profile use ${allowed}, or add "aggregate" to label the account from its posts`,
    }));
}

export interface ManifestProblem extends Problem {
  file: string;
}

export interface LoadResult {
  manifests: CompiledManifest[];
  problems: ManifestProblem[];
}

export interface CompileOptions {
  /** Shared services (embedders, classifiers, membership sets) operators may need while compiling. */
  services?: CompileServices;
  registry?: OperatorRegistry;
}

/** Locates a syntax error: JSON.parse on Node 20 does not always give a position, jsonc-parser does. */
function jsonProblem(text: string): Problem {
  const errors: ParseError[] = [];
  parseJsonc(text, errors, { allowTrailingComma: false, disallowComments: true });
  const first = errors[0];
  if (!first) return { path: '(file)', message: 'invalid JSON' };
  const before = text.slice(0, first.offset);
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return { path: '(file)', message: `invalid JSON at line ${line}, column ${column}: ${printParseErrorCode(first.error)}` };
}

/** Validates and compiles one manifest's text; every problem is reported, with its JSON path. */
export async function compileManifest(
  file: string,
  text: string,
  { services = new CompileServices(), registry = operators }: CompileOptions = {},
): Promise<{ manifest?: CompiledManifest; problems: Problem[] }> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problems: [jsonProblem(text)] };
  }
  const problems: Problem[] = [];
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push({ path: issue.path.reduce<string>((p, k) => (typeof k === 'number' ? `${p}[${k}]` : p ? `${p}.${String(k)}` : String(k)), '') || '(manifest)', message: issueMessage(issue) });
    }
  }
  const models = new Map(parsed.success ? parsed.data.models.map((m) => [m.model_name, m]) : []);
  let author: Credentials | undefined;
  try {
    author = parsed.success && parsed.data.author ? resolveCredentials(parsed.data.author, file) : undefined;
  } catch (error) {
    problems.push({ path: 'author.password', message: (error as Error).message });
  }
  const version = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const env = { models, services, manifestFile: file, manifestVersion: version, ...(author && { author }) };
  // Parameters are read on their own, so the filter is checked (and its problems reported) even when another part of the manifest is wrong.
  const params = ParamsSchema.safeParse((json as { params?: unknown } | null)?.params ?? {});
  const context = { env, problems, registry, params: new Map(params.success ? Object.entries(params.data) : []) };
  const filter = json && typeof json === 'object' && 'filter' in json ? await compileFilter(json.filter, 'filter', context) : undefined;
  if (parsed.success && !('filter' in (json as object))) problems.push({ path: 'filter', message: 'a manifest needs a filter' });
  const subject = parsed.success ? manifestSubject(parsed.data) : undefined;
  if (subject && filter) problems.push(...subjectProblems(subject, parsed.data!, filter, registry));
  if (problems.length || !parsed.success || !filter || !subject) return { problems };
  const collections = subject.kind === 'profile' ? [...new Set([...filter.collections, PROFILE_COLLECTION])] : filter.collections;
  return { manifest: { file, label: parsed.data.label, version, filter, collections, subject }, problems };
}

/** Loads every `*.json` in a directory (not sub-directories); a broken file is reported and the rest still load. */
export async function loadManifests(dir: string, options: CompileOptions = {}): Promise<LoadResult> {
  return loadManifestFiles(manifestFiles(dir), options);
}

export function manifestFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** Loads the given manifest files; two files defining one label value are a problem naming both. */
export async function loadManifestFiles(files: readonly string[], options: CompileOptions = {}): Promise<LoadResult> {
  const compiled: CompiledManifest[] = [];
  const problems: ManifestProblem[] = [];
  for (const file of files) {
    const result = await compileManifest(file, fs.readFileSync(file, 'utf8'), options);
    problems.push(...result.problems.map((p) => ({ file, ...p })));
    if (result.manifest) compiled.push(result.manifest);
  }
  const unique = uniqueLabels(compiled);
  return { manifests: unique.manifests, problems: [...problems, ...unique.problems] };
}

/** Keeps the first manifest of each label value; a later one defining the same value is a problem naming both files. */
export function uniqueLabels(manifests: readonly CompiledManifest[]): LoadResult {
  const result: LoadResult = { manifests: [], problems: [] };
  const byValue = new Map<string, string>();
  for (const manifest of manifests) {
    const other = byValue.get(manifest.label.value);
    if (other) {
      result.problems.push({ file: manifest.file, path: 'label.value', message: `label "${manifest.label.value}" is also defined by ${other}` });
      continue;
    }
    byValue.set(manifest.label.value, manifest.file);
    result.manifests.push(manifest);
  }
  return result;
}

export function formatProblems(problems: readonly ManifestProblem[]): string {
  return problems.map((p) => `${p.file}: ${p.path}: ${p.message}`).join('\n');
}
