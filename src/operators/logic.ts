import type { FeatureRequest } from '../core/features.ts';
import type { UndecidedOutcome } from '../core/operator.ts';

/**
 * Results of a filter node: decided (true/false), pending on feature requests, or undecided because a
 * feature failed. Undecided follows Kleene's three-valued logic: `and` with a false child is still
 * false and `or` with a true child still true (the failed leaf could not change them), otherwise the
 * node is undecided; `not` of undecided is undecided, so a failure can never turn into a match.
 */
export type NodeValue = boolean | FeatureRequest[] | UndecidedOutcome;

/** The logic operators `and`, `or` (over a list of nodes) and `not` (over one node). */
export interface LogicOperator {
  name: 'and' | 'or' | 'not';
  /** For the generated reference and editor help. */
  description: string;
  /** `and`/`or` take a list of nodes, `not` a single node. */
  takesList: boolean;
  /** The child value that decides the node at once (`false` for `and`, `true` for `or`); null for `not`. */
  shortCircuitOn: boolean | null;
  /** The node's value when no child short-circuited. */
  combine(values: NodeValue[]): NodeValue;
}

const pendingOf = (values: NodeValue[]) => values.filter((v): v is FeatureRequest[] => Array.isArray(v)).flat();
export const isUndecidedValue = (value: NodeValue): value is UndecidedOutcome => typeof value === 'object' && !Array.isArray(value);

function allDecided(name: 'and' | 'or', whenDecided: boolean, description: string): LogicOperator {
  return {
    name,
    description,
    takesList: true,
    shortCircuitOn: !whenDecided,
    combine(values) {
      const pending = pendingOf(values);
      // A pending sibling may still short-circuit, so it is computed before an undecided one is reported.
      return pending.length ? pending : (values.find(isUndecidedValue) ?? whenDecided);
    },
  };
}

/** A manifest never has an empty `and`/`or` (rejected at load); an `each` may combine as they do. */
export const and = allDecided('and', true, 'Every condition in the list holds. Cheaper conditions run first, whatever their order in the file; an empty list is rejected (it would match every post).');
export const or = allDecided('or', false, 'At least one condition in the list holds. Cheaper conditions run first; an empty list is rejected (it would match no post).');
export const not: LogicOperator = {
  name: 'not',
  description: 'The condition does not hold (an addition of skysift; Graze has the negated operators instead). A condition that could not be decided stays undecided under not.',
  takesList: false,
  shortCircuitOn: null,
  combine([value]) {
    return typeof value === 'boolean' ? !value : value!;
  },
};

export const logicOperators: ReadonlyMap<string, LogicOperator> = new Map([and, or, not].map((op) => [op.name, op]));

/** `each`, expanded by the compiler: a condition run once per element of a list parameter, combined as `or` (any) or `and` (all). */
export const EACH = {
  name: 'each',
  description:
    'Runs a condition once per element of a list parameter, with $NAME standing for the element: `{"each": {"param": "LISTS", "any": {"list_member": ["$LISTS", "in"]}}}` holds when the author is on any of the lists ("all" instead of "any": on every one). The parameter must be a non-empty list in the manifest\'s "params".',
} as const;
