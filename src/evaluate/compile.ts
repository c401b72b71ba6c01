import type { ConsolidatedPost } from '../consolidate/post.ts';
import { isPending, isUndecided, type CompileEnvironment, type EvaluationContext, type Leaf, type OperatorDefinition } from '../core/operator.ts';
import { didYouMean, issueMessage } from '../messages.ts';
import { grazeOnly, grazeOnlyMessage } from '../operators/graze-only.ts';
import { operators } from '../operators/index.ts';
import { and, EACH, logicOperators, or, type LogicOperator, type NodeValue } from '../operators/logic.ts';
import { substitute, type Params } from './params.ts';

/**
 * One line of an explanation, in the order the filter tree was walked (a node before its children; its
 * depth is that of its path): a logic node or leaf that ran, with its result, what it looked at and its
 * score; one that could not decide (why, in `inputs`); or one skipped because a sibling decided first.
 */
export interface TraceEntry {
  path: string;
  op: string;
  result: boolean | 'pending' | 'skipped' | 'undecided';
  inputs?: unknown;
  score?: number;
}

interface NodeBase {
  path: string;
  op: string;
  cost: number;
  /** Jetstream collections the leaves below declare (OperatorDefinition.collections). */
  collections: readonly string[];
  /**
   * Evaluates the node on a post, recording in `trace` what ran: the reference evaluation, run for the
   * verdicts that get an explanation (the evaluation plan decides the others without a trace).
   */
  explain(post: ConsolidatedPost, context: EvaluationContext, trace: TraceEntry[]): NodeValue;
  /** Records this node and those below it as skipped. */
  skip(trace: TraceEntry[]): void;
}

/** `and`, `or`, `not` (and `each`, expanded into `and`/`or`): its children in the order they run, cheapest first. */
export interface LogicNode extends NodeBase {
  kind: 'logic';
  logic: LogicOperator;
  children: readonly CompiledNode[];
}

export interface LeafNode extends NodeBase {
  kind: 'leaf';
  leaf: Leaf;
  /** Set for a pure operator (OperatorDefinition.pure): the operator and its arguments, the same for every leaf that decides alike. */
  key?: string;
}

export type CompiledNode = LogicNode | LeafNode;

/** A problem found while compiling, at a JSON path inside the manifest. */
export interface Problem {
  path: string;
  message: string;
}

export type OperatorRegistry = ReadonlyMap<string, OperatorDefinition<any>>;

/** What compiling a filter tree needs besides the tree: the operator environment, where problems go, the operators, the parameters in scope. */
export interface CompileContext {
  env: CompileEnvironment;
  problems: Problem[];
  registry?: OperatorRegistry;
  params?: Params;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const zodPath = (base: string, path: PropertyKey[]) => path.reduce<string>((p, key) => (typeof key === 'number' ? `${p}[${key}]` : `${p}.${String(key)}`), base);

const traced = (value: NodeValue): TraceEntry['result'] => (typeof value === 'boolean' ? value : Array.isArray(value) ? 'pending' : 'undecided');

/** A logic node over compiled children: cheapest first, short-circuiting, its own result in the trace before its children's. */
function logicNode(path: string, op: string, logic: LogicOperator, children: CompiledNode[]): LogicNode {
  const ordered = children
    .map((c, i) => ({ c, i }))
    .sort((a, b) => a.c.cost - b.c.cost || a.i - b.i)
    .map((x) => x.c);
  return {
    kind: 'logic',
    logic,
    children: ordered,
    path,
    op,
    cost: ordered.reduce((sum, c) => sum + c.cost, 0),
    collections: [...new Set(ordered.flatMap((c) => c.collections))],
    explain(post, context, trace) {
      const entry: TraceEntry = { path, op, result: 'pending' };
      trace.push(entry);
      const values: NodeValue[] = [];
      let value: NodeValue | undefined;
      for (let i = 0; i < ordered.length && value === undefined; i++) {
        const child = ordered[i]!.explain(post, context, trace);
        if (child === logic.shortCircuitOn) {
          for (const rest of ordered.slice(i + 1)) rest.skip(trace);
          value = child;
        } else values.push(child);
      }
      value ??= logic.combine(values);
      entry.result = traced(value);
      return value;
    },
    skip(trace) {
      trace.push({ path, op, result: 'skipped' });
      for (const child of ordered) child.skip(trace);
    },
  };
}

function leafNode(path: string, op: string, definition: OperatorDefinition<any>, leaf: Leaf, key: string | undefined): LeafNode {
  return {
    kind: 'leaf',
    leaf,
    ...(key !== undefined && { key }),
    path,
    op,
    cost: definition.cost,
    collections: definition.collections ?? [],
    explain(post, context, trace) {
      const result = leaf(post, context);
      if (isPending(result)) {
        trace.push({ path, op, result: 'pending' });
        return result.pending;
      }
      if (isUndecided(result)) {
        trace.push({ path, op, result: 'undecided', inputs: { reason: result.undecided } });
        return result;
      }
      trace.push({ path, op, result: result.matched, ...(result.inputs !== undefined && { inputs: result.inputs }), ...(result.score !== undefined && { score: result.score }) });
      return result.matched;
    },
    skip(trace) {
      trace.push({ path, op, result: 'skipped' });
    },
  };
}

/**
 * `{"each": {"param": NAME, "any"|"all": node}}`: the node compiled once per element of the list
 * parameter, with $NAME bound to the element, combined as `or`/`and`. Expansion i runs at
 * `<path>.any[i]` in explanations; a problem is reported once, at the node's place in the file.
 */
async function compileEach(args: unknown, path: string, context: CompileContext): Promise<CompiledNode | undefined> {
  const { problems, params = new Map() } = context;
  const mode = isObject(args) ? Object.keys(args).find((k) => k === 'any' || k === 'all') : undefined;
  const extra = isObject(args) ? Object.keys(args).filter((k) => k !== 'param' && k !== mode) : [];
  if (!isObject(args) || typeof args.param !== 'string' || !mode || extra.length) {
    problems.push({
      path,
      message: `each takes {"param": "NAME", "any": <condition>} (or "all" instead of "any")${extra.length ? `; unknown key ${extra.map((k) => JSON.stringify(k)).join(', ')}` : ''}`,
    });
    return undefined;
  }
  const name = args.param.replace(/^\$/, '');
  const list = params.get(name);
  if (!Array.isArray(list) || !list.length) {
    problems.push({
      path: `${path}.param`,
      message: params.has(name) ? `parameter ${name} must be a non-empty list for each` : `unknown parameter ${name}: declare it in the manifest's "params"${didYouMean(name, params.keys())}`,
    });
    return undefined;
  }
  const children: (CompiledNode | undefined)[] = [];
  const reported = new Set<string>();
  for (const [i, element] of list.entries()) {
    const found: Problem[] = [];
    children.push(await compileFilter(args[mode], `${path}.${mode}[${i}]`, { ...context, problems: found, params: new Map([...params, [name, element]]) }));
    for (const problem of found) {
      const at = { path: problem.path.replace(`${path}.${mode}[${i}]`, `${path}.${mode}`), message: problem.message };
      if (!reported.has(JSON.stringify(at))) problems.push(at);
      reported.add(JSON.stringify(at));
    }
  }
  if (children.some((c) => !c)) return undefined;
  return logicNode(path, EACH.name, mode === 'any' ? or : and, children as CompiledNode[]);
}

function unknownOperator(op: string, registry: OperatorRegistry): string {
  const graze = grazeOnly.get(op);
  return graze ? grazeOnlyMessage(op, graze) : `unknown operator "${op}"${didYouMean(op, [...logicOperators.keys(), EACH.name, ...registry.keys()])}`;
}

/**
 * Compiles a filter tree into closures, collecting every problem rather than stopping at the first.
 * Returns undefined when there were problems.
 */
export async function compileFilter(node: unknown, path: string, context: CompileContext): Promise<CompiledNode | undefined> {
  const { env, problems, registry = operators, params = new Map() } = context;
  if (!isObject(node)) {
    problems.push({ path, message: 'a filter node must be an object with one operator, e.g. {"and": [...]}' });
    return undefined;
  }
  const keys = Object.keys(node).filter((k) => k !== 'metadata');
  if (keys.length !== 1) {
    problems.push({ path, message: keys.length ? `a filter node has exactly one operator, found ${keys.join(', ')}` : 'empty filter node: name one operator' });
    return undefined;
  }
  const op = keys[0]!;
  const args = node[op];
  const opPath = `${path}.${op}`;
  if (op === EACH.name) return compileEach(args, opPath, context);
  const logic = logicOperators.get(op);
  if (logic) {
    if (logic.takesList !== Array.isArray(args)) {
      problems.push({
        path: opPath,
        message: logic.takesList
          ? `${op} takes a list of conditions, e.g. {"${op}": [{...}, {...}]}`
          : 'not takes one condition, not a list: write {"not": {"or": [...]}} for "none of them" or {"not": {"and": [...]}} for "not all of them"',
      });
      return undefined;
    }
    const list = logic.takesList ? (args as unknown[]) : [args];
    if (!list.length) {
      problems.push({ path: opPath, message: `an empty "${op}" would match ${op === 'and' ? 'every' : 'no'} post: give it at least one condition` });
      return undefined;
    }
    const children = await Promise.all(list.map((child, i) => compileFilter(child, logic.takesList ? `${opPath}[${i}]` : opPath, context)));
    if (children.some((c) => !c)) return undefined;
    return logicNode(opPath, op, logic, children as CompiledNode[]);
  }
  const definition = registry.get(op);
  if (!definition) {
    problems.push({ path: opPath, message: unknownOperator(op, registry) });
    return undefined;
  }
  const before = problems.length;
  const substituted = substitute(args, params, opPath, (at, message) => problems.push({ path: at, message }));
  if (problems.length > before) return undefined;
  const parsed = definition.args.safeParse(substituted);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const arity = issue.path.length === 0 && (issue.code === 'too_small' || issue.code === 'too_big');
      const notAList = issue.path.length === 0 && issue.code === 'invalid_type';
      const message = arity ? `wrong number of arguments for ${op}: ${issue.message}` : notAList ? `${op} takes a list of arguments, e.g. {"${op}": [...]}` : issueMessage(issue);
      problems.push({ path: zodPath(opPath, issue.path), message });
    }
    return undefined;
  }
  const pure = typeof definition.pure === 'function' ? definition.pure(parsed.data) : definition.pure === true;
  try {
    return leafNode(opPath, op, definition, await definition.compile(parsed.data, env), pure ? `${definition.name}${JSON.stringify(parsed.data)}` : undefined);
  } catch (error) {
    problems.push({ path: opPath, message: (error as Error).message });
    return undefined;
  }
}
