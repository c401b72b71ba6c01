import type { ConsolidatedPost } from '../consolidate/post.ts';
import { isPending, isUndecided, type CompileEnvironment, type EvaluationContext, type OperatorDefinition } from '../core/operator.ts';
import { notSupportedYet, operators } from '../operators/index.ts';
import { logicOperators, type NodeValue } from '../operators/logic.ts';

/** One line of an explanation: a leaf that ran (with what it saw), could not decide (why, in `inputs`), or was skipped by short-circuit. */
export interface TraceEntry {
  path: string;
  op: string;
  result: boolean | 'pending' | 'skipped' | 'undecided';
  inputs?: unknown;
  score?: number;
}

export interface CompiledNode {
  path: string;
  op: string;
  cost: number;
  /** Jetstream collections the leaves below declare (OperatorDefinition.collections). */
  collections: readonly string[];
  run(post: ConsolidatedPost, context: EvaluationContext, trace: TraceEntry[]): NodeValue;
  /** Records this node's leaves as skipped. */
  skip(trace: TraceEntry[]): void;
}

/** A problem found while compiling, at a JSON path inside the manifest. */
export interface Problem {
  path: string;
  message: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

const zodPath = (base: string, path: PropertyKey[]) => path.reduce<string>((p, key) => (typeof key === 'number' ? `${p}[${key}]` : `${p}.${String(key)}`), base);

/**
 * Compiles a filter tree into closures, collecting every problem rather than stopping at the first.
 * Returns undefined when there were problems.
 */
export type OperatorRegistry = ReadonlyMap<string, OperatorDefinition<any>>;

export async function compileFilter(node: unknown, path: string, env: CompileEnvironment, problems: Problem[], registry: OperatorRegistry = operators): Promise<CompiledNode | undefined> {
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
  const logic = logicOperators.get(op);
  if (logic) {
    const list = logic.takesList ? args : [args];
    if (!Array.isArray(list)) {
      problems.push({ path: opPath, message: `${op} takes a list of filter nodes` });
      return undefined;
    }
    const children = await Promise.all(list.map((child, i) => compileFilter(child, logic.takesList ? `${opPath}[${i}]` : opPath, env, problems, registry)));
    if (children.some((c) => !c)) return undefined;
    // Cheapest first: a cheap leaf that decides spares the expensive ones.
    const ordered = (children as CompiledNode[])
      .map((c, i) => ({ c, i }))
      .sort((a, b) => a.c.cost - b.c.cost || a.i - b.i)
      .map((x) => x.c);
    return {
      path: opPath,
      op,
      cost: ordered.reduce((sum, c) => sum + c.cost, 0),
      collections: [...new Set(ordered.flatMap((c) => c.collections))],
      run(post, context, trace) {
        const values: NodeValue[] = [];
        for (let i = 0; i < ordered.length; i++) {
          const value = ordered[i]!.run(post, context, trace);
          if (value === logic.shortCircuitOn) {
            for (const rest of ordered.slice(i + 1)) rest.skip(trace);
            return value;
          }
          values.push(value);
        }
        return logic.combine(values);
      },
      skip(trace) {
        for (const child of ordered) child.skip(trace);
      },
    };
  }
  const definition = registry.get(op);
  if (!definition) {
    const message = notSupportedYet.has(op)
      ? `operator "${op}" is not supported yet`
      : `unknown operator "${op}"${((s) => (s ? ` (did you mean "${s}"?)` : ''))(closest(op, [...logicOperators.keys(), ...registry.keys()]))}`;
    problems.push({ path: opPath, message });
    return undefined;
  }
  const parsed = definition.args.safeParse(args);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const arity = issue.path.length === 0 && (issue.code === 'too_small' || issue.code === 'too_big');
      problems.push({ path: zodPath(opPath, issue.path), message: arity ? `wrong number of arguments for ${op}: ${issue.message}` : issue.message });
    }
    return undefined;
  }
  let leaf;
  try {
    leaf = await definition.compile(parsed.data, env);
  } catch (error) {
    problems.push({ path: opPath, message: (error as Error).message });
    return undefined;
  }
  return {
    path: opPath,
    op,
    cost: definition.cost,
    collections: definition.collections ?? [],
    run(post, context, trace) {
      const result = leaf(post, context);
      if (isPending(result)) {
        trace.push({ path: opPath, op, result: 'pending' });
        return result.pending;
      }
      if (isUndecided(result)) {
        trace.push({ path: opPath, op, result: 'undecided', inputs: { reason: result.undecided } });
        return result;
      }
      trace.push({ path: opPath, op, result: result.matched, ...(result.inputs !== undefined && { inputs: result.inputs }), ...(result.score !== undefined && { score: result.score }) });
      return result.matched;
    },
    skip(trace) {
      trace.push({ path: opPath, op, result: 'skipped' });
    },
  };
}
