import { z } from 'zod';
import { compileComparison, ComparatorSchema } from './compare.ts';
import type { OperatorDefinition } from './operator.ts';
import { compilePath, PathSchema } from './path.ts';

/** `attribute_compare [path, comparator, value]`. */
export const attribute_compare: OperatorDefinition<[z.infer<typeof PathSchema>, z.infer<typeof ComparatorSchema>, unknown]> = {
  name: 'attribute_compare',
  args: z.tuple([PathSchema, ComparatorSchema, z.unknown()]),
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
