import { z } from 'zod';
import type { OperatorDefinition } from '../core/operator.ts';
import { compilePath, PathSchema } from './path.ts';
import { anyMatches, compileRegex, termsPattern } from './regex.ts';

export const TermsArgsSchema = z.tuple([PathSchema, z.array(z.string().min(1)).min(1), z.boolean().default(true), z.boolean().default(false)]);
type TermsArgs = z.infer<typeof TermsArgsSchema>;

/** Builds `regex_any` and its negation `regex_none` from one definition. */
export function termsOperator(name: string, negate: boolean): OperatorDefinition<TermsArgs> {
  return {
    name,
    args: TermsArgsSchema,
    cost: 6,
    compile([path, terms, caseInsensitive, asRegex]) {
      const resolve = compilePath(path);
      const regex = compileRegex(termsPattern(terms, asRegex), caseInsensitive);
      return (post) => ({ matched: anyMatches(regex, resolve(post)) !== negate });
    },
  };
}

/** `regex_any [path, [terms], caseInsensitive = true, asRegex = false]`: any term occurs. */
export const regex_any = termsOperator('regex_any', false);
