import { z } from 'zod';
import type { OperatorDefinition } from '../core/operator.ts';
import { compilePath, PathSchema } from './path.ts';
import { compileRegex, patternLeaf, regexPart } from './regex.ts';

export const CaseInsensitiveSchema = z.boolean().default(true).meta({ title: 'caseInsensitive', description: 'Ignore case.' });

export const RegexArgsSchema = z.tuple([
  PathSchema.meta({ title: 'path', description: 'The text to search, usually "text"; over a list every element is searched.' }),
  z.string().meta({ title: 'pattern', description: 'A regular expression in RE2 syntax (no lookaround, no backreferences); it matches anywhere unless anchored.' }),
  CaseInsensitiveSchema,
]);
type RegexArgs = z.infer<typeof RegexArgsSchema>;

/** Builds `regex_matches` and its negation from one definition. */
export function regexOperator(name: string, negate: boolean, description: string, examples: OperatorDefinition['examples']): OperatorDefinition<RegexArgs> {
  return {
    name,
    description,
    examples,
    graze:
      'Same pattern semantics for patterns RE2 can run (Graze falls back to Python `re` for others, which skysift rejects at load). Graze searches a missing value as the text "None" and a list as its printed form; skysift searches nothing for a missing value and each element of a list.',
    args: RegexArgsSchema,
    profiles: true,
    cost: 5,
    pure: true,
    compile([path, pattern, caseInsensitive]) {
      const regex = compileRegex(pattern, caseInsensitive);
      return patternLeaf(compilePath(path), regex, { caseInsensitive, literals: [], regex: regexPart(pattern, regex) }, negate);
    },
  };
}

/** `regex_matches [path, pattern, caseInsensitive = true]`. */
export const regex_matches = regexOperator('regex_matches', false, 'The text at `path` matches the regular expression `pattern` (anywhere in it, unless anchored with ^ or $).', [
  { args: ['text', '\\belection(s)?\\b'], means: 'the text mentions "election" or "elections" as a word' },
  { args: ['embed.external.uri', '^https://(www\\.)?youtube\\.com/', false], means: 'the link card points at YouTube (case-sensitive)' },
]);
