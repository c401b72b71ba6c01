import { z } from 'zod';
import type { OperatorDefinition } from '../core/operator.ts';
import { compileComparison, ComparatorSchema } from './compare.ts';
import { compilePath, PathSchema } from './path.ts';

/** A threshold: a scalar, null, or a list for `in`/`not_in` (required, so a missing one is an arity error). */
const ValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.union([z.string(), z.number(), z.boolean(), z.null()]))]);

/** `attribute_compare [path, comparator, value]`. */
export const attribute_compare: OperatorDefinition<[z.infer<typeof PathSchema>, z.infer<typeof ComparatorSchema>, z.infer<typeof ValueSchema>]> = {
  name: 'attribute_compare',
  args: z.tuple([PathSchema, ComparatorSchema, ValueSchema]),
  cost: 1,
  compile([path, comparator, value]) {
    const resolve = compilePath(path);
    const compare = compileComparison(comparator, value);
    return (post) => {
      const resolved = resolve(post);
      return { matched: compare(resolved), inputs: resolved.many ? resolved.values : resolved.value };
    };
  },
};
