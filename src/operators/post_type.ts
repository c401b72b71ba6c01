import { z } from 'zod';
import type { OperatorDefinition } from '../core/operator.ts';
import { embedKinds } from './embed_type.ts';

/** `post_type [in|not_in, [reply|quote]]` (`is_in`/`is_not_in` accepted). */
export const post_type: OperatorDefinition<['in' | 'not_in' | 'is_in' | 'is_not_in', ('reply' | 'quote')[]]> = {
  name: 'post_type',
  args: z.tuple([z.enum(['in', 'not_in', 'is_in', 'is_not_in']), z.array(z.enum(['reply', 'quote'])).min(1)]),
  cost: 1,
  compile([comparator, types]) {
    const wantIn = comparator === 'in' || comparator === 'is_in';
    return (post) => {
      const has = new Set<string>();
      if (post.record.reply) has.add('reply');
      if (embedKinds(post).has('post')) has.add('quote');
      return { matched: types.some((t) => has.has(t)) === wantIn, inputs: [...has] };
    };
  },
};
