import { z } from 'zod';
import { compileComparison, ComparatorSchema, ThresholdSchema } from './compare.ts';
import { leaf, type OperatorDefinition } from '../core/operator.ts';

const Args = z.tuple([
  ThresholdSchema.meta({ title: 'parameter', description: 'The value compared, normally "$NAME" (a parameter from the manifest\'s "params").' }),
  ComparatorSchema,
  ThresholdSchema.meta({ title: 'value', description: 'What to compare it with, e.g. true for a toggle.' }),
]);

/** `param_compare [$PARAM, comparator, value]`: Graze's switch on a custom-node parameter (app/algos/operators/logic.py). */
export const param_compare: OperatorDefinition<z.infer<typeof Args>> = {
  name: 'param_compare',
  description:
    'Compares a parameter with a value, the same for every post: with a toggle parameter it switches parts of the filter on or off (`{"and": [{"param_compare": ["$ANIMALS", "==", true]}, ...]}`). Decided when the manifest loads, from its "params".',
  examples: [
    { args: ['$ANIMALS', '==', true], means: 'the ANIMALS toggle is on' },
    { args: ['$LANG', 'in', ['en', 'de']], means: 'the LANG parameter is en or de' },
  ],
  args: Args,
  profiles: true,
  cost: 0,
  pure: true,
  compile([value, comparator, threshold]) {
    const matched = compileComparison(comparator, threshold)(Array.isArray(value) ? value : [value]);
    return leaf(() => ({ matched, inputs: { value } }), { decide: () => matched });
  },
};
