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

/** A leaf's decision without what it looked at: the evaluator's fast path. */
export type Decision = boolean | PendingOutcome | UndecidedOutcome;

/**
 * Something a leaf reads of the post, derived once per post for every leaf (of every manifest) that
 * reads the same `key`: the values at a path, the post's entities of a kind, the kinds of its embed.
 */
export interface PostInput<T> {
  key: string;
  read(post: ConsolidatedPost): T;
}

/** Where an occurrence of a literal counts, `start`–`end` in the value (e.g. on word boundaries). */
export type LiteralAcceptor = (value: string, start: number, end: number) => boolean;

/**
 * A text pattern a leaf tests over the values of its input (a path), declared rather than run, so that
 * the evaluator runs the patterns of every manifest over the same path in one pass per post: literals
 * in one automaton, regexes only where that pass found what they need. A value matches when one of
 * `literals` occurs in it where its `accepts` says so, or when `regex` matches it. Strings and numbers
 * are tested (numbers as their text); a leaf matches when one of its values does.
 */
export interface TextPattern {
  caseInsensitive: boolean;
  /** Literal terms (text within the BMP), each with where an occurrence counts. */
  literals: readonly { text: string; accepts: LiteralAcceptor }[];
  /** The rest of the pattern: a regex (RE2 syntax, `caseInsensitive` applies) and the test that runs it. */
  regex?: { source: string; test(value: string): boolean };
}

/**
 * A compiled leaf. Called, it decides the post and reports what it looked at (`inputs`, `score`): that
 * is the explanation, and the reference of what the leaf means. Leaves that run on every post also say
 * how to decide without explaining, and the evaluator then uses that on its fast path (most verdicts
 * change nothing and are never explained), with `input` read once per post for every leaf sharing it:
 * - `decide`: the same decision, without allocating;
 * - `pattern` (the input is a path's values): a text pattern the evaluator runs with the patterns of
 *   every other manifest on the same path, in one pass;
 * - `anyOf` (the input is a list of strings): the leaf holds when one of them is in the set (or, with
 *   `negate`, none is); the evaluator looks the post's values up once for every such leaf.
 * A leaf with none of them is called on the fast path too, and its `matched` kept.
 */
export interface Leaf<Input = any> {
  (post: ConsolidatedPost, context: EvaluationContext): LeafResult;
  input?: PostInput<Input>;
  decide?(input: Input, post: ConsolidatedPost, context: EvaluationContext): Decision;
  pattern?: { text: TextPattern; negate: boolean };
  anyOf?: { values: ReadonlySet<string>; negate: boolean };
}

/** A leaf from its explaining function and its fast path. */
export function leaf<Input>(explain: (post: ConsolidatedPost, context: EvaluationContext) => LeafResult, fast: Pick<Leaf<Input>, 'input' | 'decide' | 'pattern' | 'anyOf'>): Leaf<Input> {
  return Object.assign(explain, fast);
}

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
  /**
   * True when the operator means something on an account's profile (`text`, `displayName`, `description`,
   * the author's memberships): manifests labelling accounts from their profile may use it. Operators that
   * read what only posts have (embeds, replies, facets, images, the time posted) leave it unset.
   */
  profiles?: boolean;
  /** Relative cost used to order siblings in `and`/`or` (cheapest first). */
  cost: number;
  /**
   * True when the compiled leaf depends on its arguments alone (not on the manifest's models, author or
   * file): identical leaves of several manifests then run once per post. A function decides per arguments.
   */
  pure?: boolean | ((args: Args) => boolean);
  /** Compiles validated arguments. May be async (e.g. embedding an anchor text once). */
  compile(args: Args, env: CompileEnvironment): Leaf | Promise<Leaf>;
}

export function isPending(result: LeafResult): result is PendingOutcome {
  return 'pending' in result;
}

export function isUndecided(result: LeafResult): result is UndecidedOutcome {
  return 'undecided' in result;
}
