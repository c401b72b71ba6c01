import { z } from 'zod';
import type { Resolved } from './path.ts';

export const ComparatorSchema = z.enum(['==', '!=', '>', '>=', '<', '<=', 'in', 'not_in', 'is_in', 'is_not_in'], {
  error: (issue) => `unknown comparator ${JSON.stringify(issue.input)}: use one of == != > >= < <= in not_in`,
});
export type Comparator = z.infer<typeof ComparatorSchema>;

const NUMERIC = /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;
const asNumber = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && NUMERIC.test(v) ? Number(v) : typeof v === 'boolean' ? Number(v) : undefined);

function equal(value: unknown, expected: unknown): boolean {
  if (value === null || value === undefined || expected === null) return (value ?? null) === expected;
  const a = asNumber(expected);
  const b = asNumber(value);
  if (a !== undefined && b !== undefined) return a === b;
  return String(value) === String(expected);
}

/**
 * The one comparison every operator uses. Numeric-looking thresholds compare numerically; a missing
 * value is null and never an error; over a `[*]` path a comparison means "any element", except
 * `!=` and `not_in`, which mean "no element".
 */
export function compileComparison(comparator: Comparator, threshold: unknown): (resolved: Resolved) => boolean {
  const op = comparator === 'is_in' ? 'in' : comparator === 'is_not_in' ? 'not_in' : comparator;
  if ((op === 'in' || op === 'not_in') && !Array.isArray(threshold)) throw new Error(`${comparator} needs a list of values`);
  const list = Array.isArray(threshold) ? threshold : [];
  const number = asNumber(threshold);
  const ordered = (test: (a: number | string, b: number | string) => boolean) => (value: unknown) => {
    if (value === null || value === undefined) return false;
    const n = asNumber(value);
    if (number !== undefined) return n !== undefined && test(n, number);
    return typeof value === 'string' && test(value, String(threshold));
  };
  const positive: Record<string, (value: unknown) => boolean> = {
    '==': (v) => equal(v, threshold),
    '>': ordered((a, b) => a > b),
    '>=': ordered((a, b) => a >= b),
    '<': ordered((a, b) => a < b),
    '<=': ordered((a, b) => a <= b),
    in: (v) => list.some((e) => equal(v, e)),
  };
  const negated = op === '!=' ? positive['==']! : op === 'not_in' ? positive.in! : undefined;
  if (negated) return (r) => (r.many ? !r.values.some(negated) : !negated(r.value));
  const test = positive[op]!;
  return (r) => (r.many ? r.values.some(test) : test(r.value));
}
