import type { FeatureRequest } from './operator.ts';

/**
 * Three-valued results of a filter node while features may still be missing: decided (true/false)
 * or pending on feature requests.
 */
export type NodeValue = boolean | FeatureRequest[];

/** The logic operators `and`, `or` (over a list of nodes) and `not` (over one node). */
export interface LogicOperator {
  name: 'and' | 'or' | 'not';
  /** `and`/`or` take a list of nodes, `not` a single node. */
  takesList: boolean;
  /** The child value that decides the node at once (`false` for `and`, `true` for `or`); null for `not`. */
  shortCircuitOn: boolean | null;
  /** The node's value when no child short-circuited. */
  combine(values: NodeValue[]): NodeValue;
}

const pendingOf = (values: NodeValue[]) => values.filter((v): v is FeatureRequest[] => Array.isArray(v)).flat();

function allDecided(name: 'and' | 'or', whenDecided: boolean): LogicOperator {
  return {
    name,
    takesList: true,
    shortCircuitOn: !whenDecided,
    combine(values) {
      const pending = pendingOf(values);
      return pending.length ? pending : whenDecided;
    },
  };
}

/** Empty `and` is true, empty `or` is false. */
export const and = allDecided('and', true);
export const or = allDecided('or', false);
export const not: LogicOperator = {
  name: 'not',
  takesList: false,
  shortCircuitOn: null,
  combine([value]) {
    return Array.isArray(value) ? value : !value;
  },
};

export const logicOperators: ReadonlyMap<string, LogicOperator> = new Map([and, or, not].map((op) => [op.name, op]));
