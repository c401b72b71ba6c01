import type { z } from 'zod';
import type { ConsolidatedPost } from '../consolidate/post.ts';
import type { Credentials } from './credentials.ts';
import type { FeatureRequest } from './features.ts';
import type { ModelEntry } from './model-entry.ts';
import type { CompileServices } from './services.ts';

/**
 * The contract between the manifest compiler and the operators. Each operator is one module under
 * `src/operators/`, named as in the manifest (`regex_any.ts` exports the `regex_any` operator), and
 * registered in `src/operators/index.ts`.
 *
 * Evaluation is synchronous and pure. Expensive inputs (embeddings, model scores) are *features*
 * (`features.ts`): a leaf that needs one which is not ready returns `pending` with its requests.
 * Because cheap leaves run first inside `and`/`or`, a post that cheap leaves already decide never
 * asks for an expensive feature.
 */

/** Read-only view of what evaluation may consult besides the post. */
export interface EvaluationContext {
  /** The feature a request asks for, computed earlier in this batch (or cached), or undefined if not ready yet. */
  feature<Out>(request: FeatureRequest<unknown, Out>): Out | undefined;
  /** An in-memory membership snapshot (social operators), or undefined if not loaded. */
  membership(setKey: string): ReadonlySet<string> | undefined;
}

/** What a decided leaf reports: the explanation records `inputs` and `score` beside the result. */
export interface LeafOutcome {
  matched: boolean;
  inputs?: unknown;
  score?: number;
}

export interface PendingOutcome {
  pending: FeatureRequest[];
}

/**
 * A leaf that could not decide because its feature failed (e.g. an LLM call that kept failing). It is
 * neither true nor false: a manifest it leaves undecided produces no label change for the post.
 */
export interface UndecidedOutcome {
  undecided: string;
}

export type LeafResult = LeafOutcome | PendingOutcome | UndecidedOutcome;

export type Leaf = (post: ConsolidatedPost, context: EvaluationContext) => LeafResult;

/** What compilation may use: the manifest's own `models[]`, shared services, the manifest's file. */
export interface CompileEnvironment {
  /** The manifest's `models` entries, by `model_name`. */
  models: ReadonlyMap<string, ModelEntry>;
  /** Shared services (embedders, classifiers, membership sets) by typed key; operators look up what they need. */
  services: CompileServices;
  manifestFile: string;
  /** The content hash the compiled manifest will carry: with the file, it names this compilation (e.g. to unwatch what it used once replaced). */
  manifestVersion?: string;
  /** The manifest's `author` credentials, for operators that read the network as that account. */
  author?: Credentials;
}

/** An example of an operator's arguments, shown in the generated reference (docs/operators.md). */
export interface OperatorExample {
  args: unknown[];
  /** What the example matches, in words. */
  means: string;
}

/**
 * A leaf operator: validates its argument array and compiles it once into a closure. The operator
 * reference and the JSON Schema are generated from `description`, `examples`, `graze` and the `args`
 * schema (whose positions carry a title and description), so they cannot drift from what validates.
 */
export interface OperatorDefinition<Args = unknown> {
  name: string;
  aliases?: string[];
  /** What the operator tests, for the reference and editor help. */
  description: string;
  examples: OperatorExample[];
  /** How it differs from Graze's operator of the same name, where it does. */
  graze?: string;
  /** Schema of the argument array as written in the manifest. */
  args: z.ZodType<Args>;
  /** Jetstream collections this operator needs besides posts (e.g. graph follows for live membership updates). */
  collections?: readonly string[];
  /** Relative cost used to order siblings in `and`/`or` (cheapest first). */
  cost: number;
  /** Compiles validated arguments. May be async (e.g. embedding an anchor text once). */
  compile(args: Args, env: CompileEnvironment): Leaf | Promise<Leaf>;
}

export function isPending(result: LeafResult): result is PendingOutcome {
  return 'pending' in result;
}

export function isUndecided(result: LeafResult): result is UndecidedOutcome {
  return 'undecided' in result;
}
