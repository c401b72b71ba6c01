import type { OperatorDefinition } from './operator.ts';

/** Every leaf operator, one line each; the registry maps manifest names and aliases to definitions. */
const definitions: OperatorDefinition<any>[] = [];

/** Names from Graze's language that are recognised but not implemented yet. */
export const notSupportedYet = new Set(['param_compare', 'each']);

export const operators: ReadonlyMap<string, OperatorDefinition<any>> = new Map(
  definitions.flatMap((d) => [d.name, ...(d.aliases ?? [])].map((name) => [name, d] as const)),
);
