import { z } from 'zod';

const COMPARATORS = ['==', '!=', '>', '>=', '<', '<=', 'in', 'not_in', 'is_in', 'is_not_in'] as const;

export const ComparatorSchema = z
  .enum(COMPARATORS, {
    error: (issue) => `unknown comparator ${JSON.stringify(issue.input)}: use one of == != > >= < <= in not_in (or is_in, is_not_in)`,
  })
  .meta({ title: 'comparator', description: 'One of == != > >= < <= in not_in (is_in and is_not_in are aliases of in and not_in).' });
export type Comparator = z.infer<typeof ComparatorSchema>;

/** The threshold of a model's probability (political, toxicity_analysis, image_nsfw). */
export const ProbabilityThresholdSchema = z.number().min(0).max(1).meta({ title: 'threshold', description: 'A probability between 0 and 1.' });

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** A comparison threshold as written in a manifest: a scalar, null, or a list of them for in/not_in. */
export const ThresholdSchema = z.union([Scalar, z.array(Scalar)], {
  error: (issue) =>
    issue.code === 'invalid_union'
      ? `expected a string, number, boolean, null or a list of them, got ${Array.isArray(issue.input) ? 'a list holding an object or a list' : typeof issue.input === 'object' ? 'an object' : JSON.stringify(issue.input)}`
      : undefined,
});

/** Python's float() accepts these (as Graze's is_numeric_like does), so they compare as numbers. */
const NUMERIC = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;
const asNumber = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && NUMERIC.test(v) ? Number(v) : typeof v === 'boolean' ? Number(v) : undefined);

/** Graze treats a missing value, null and "" alike. */
const isEmpty = (v: unknown): boolean => v === null || v === undefined || v === '';

type Test = (value: unknown) => boolean;

/**
 * `value == expected`. An empty expected value (null or "") matches an empty value. With a numeric
 * expected value an empty value counts as 0 where `emptyIsZero` (Graze's rule for ==, != and the
 * ordering comparators, not for in/not_in lists); numeric-looking strings compare as numbers.
 */
function equalTo(expected: unknown, emptyIsZero: boolean): Test {
  if (isEmpty(expected)) return isEmpty;
  const number = asNumber(expected);
  if (number !== undefined) return (v) => (isEmpty(v) ? emptyIsZero && number === 0 : asNumber(v) === number);
  const text = String(expected);
  return (v) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') && String(v) === text;
}

function ordered(threshold: unknown, test: (a: number | string, b: number | string) => boolean): Test {
  // Graze compares against an empty threshold as "the value is empty", whatever the ordering.
  if (isEmpty(threshold)) return isEmpty;
  const number = asNumber(threshold);
  if (number !== undefined)
    return (v) => {
      const n = isEmpty(v) ? 0 : asNumber(v);
      return n !== undefined && test(n, number);
    };
  const text = String(threshold);
  return (v) => (isEmpty(v) ? test('', text) : typeof v === 'string' && test(v, text));
}

/**
 * The one comparison every operator uses, over the values a path yielded (none counts as one missing
 * value). A comparison means "any value"; `!=` and `not_in` mean "no value" (the negation of == and in).
 * A missing value, null and "" are alike; against a numeric threshold they count as 0. Throws at load
 * time for a threshold the comparator cannot use.
 */
export function compileComparison(comparator: Comparator, threshold: unknown): (values: readonly unknown[]) => boolean {
  const op = comparator === 'is_in' ? 'in' : comparator === 'is_not_in' ? 'not_in' : comparator;
  const list = op === 'in' || op === 'not_in';
  if (list && !Array.isArray(threshold)) throw new Error(`${comparator} needs a list of values, e.g. ["a", "b"]; to compare with one value use ${op === 'in' ? '==' : '!='}`);
  if (!list && Array.isArray(threshold)) throw new Error(`${comparator} compares with one value, not a list: for "any of these" use in (or not_in for "none of these")`);
  if (threshold !== null && typeof threshold === 'object' && !Array.isArray(threshold)) throw new Error(`${comparator} compares with a string, number, boolean or null, not an object`);
  const negated = op === '!=' ? '==' : op === 'not_in' ? 'in' : undefined;
  const tests: Record<string, () => Test> = {
    '==': () => equalTo(threshold, true),
    '>': () => ordered(threshold, (a, b) => a > b),
    '>=': () => ordered(threshold, (a, b) => a >= b),
    '<': () => ordered(threshold, (a, b) => a < b),
    '<=': () => ordered(threshold, (a, b) => a <= b),
    in: () => {
      const entries = (threshold as unknown[]).map((e) => equalTo(e, false));
      return (v) => entries.some((t) => t(v));
    },
  };
  const test = tests[negated ?? op]!();
  const any = (values: readonly unknown[]) => (values.length ? values.some(test) : test(null));
  return negated ? (values) => !any(values) : any;
}
