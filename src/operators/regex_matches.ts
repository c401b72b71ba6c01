import { z } from 'zod';
import type { OperatorDefinition } from '../core/operator.ts';
import { compilePath, PathSchema } from './path.ts';
import { anyMatches, compileRegex } from './regex.ts';

export const RegexArgsSchema = z.tuple([PathSchema, z.string(), z.boolean().default(true)]);
type RegexArgs = z.infer<typeof RegexArgsSchema>;

/** Builds `regex_matches` and its negation from one definition. */
export function regexOperator(name: string, negate: boolean): OperatorDefinition<RegexArgs> {
  return {
    name,
    args: RegexArgsSchema,
    cost: 5,
    compile([path, pattern, caseInsensitive]) {
      const resolve = compilePath(path);
      const regex = compileRegex(pattern, caseInsensitive);
      return (post) => ({ matched: anyMatches(regex, resolve(post)) !== negate, inputs: { pattern } });
    },
  };
}

/** `regex_matches [path, pattern, caseInsensitive = true]`. */
export const regex_matches = regexOperator('regex_matches', false);
