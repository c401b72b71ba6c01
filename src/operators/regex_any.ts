import { z } from 'zod';
import type { OperatorDefinition } from '../core/operator.ts';
import { compilePath, PathSchema } from './path.ts';
import { compileRegex, patternLeaf, termsPattern, termsTextPattern } from './regex.ts';
import { CaseInsensitiveSchema } from './regex_matches.ts';

export const TermsArgsSchema = z.tuple([
  PathSchema.meta({ title: 'path', description: 'The text to search, usually "text"; over a list every element is searched.' }),
  z
    .array(z.string().min(1))
    .min(1)
    .meta({ title: 'terms', description: 'Words, phrases or domains (or regexes with asRegex). Word-like terms match whole words only; terms with a "." or starting with "http" are domains.' }),
  CaseInsensitiveSchema,
  z.boolean().default(false).meta({ title: 'asRegex', description: 'Read the terms as RE2 regexes instead of literal text; the word boundaries still apply.' }),
]);
type TermsArgs = z.infer<typeof TermsArgsSchema>;

const GRAZE =
  'Graze\'s boundaries, with Python\'s Unicode word characters (letters and digits of any script). Differences: each regex term is grouped, so an alternation inside one term keeps its boundaries (Graze splices terms in bare); a missing value is searched as nothing, not as the text "None".';

/** Builds `regex_any` and its negation `regex_none` from one definition. */
export function termsOperator(name: string, negate: boolean, description: string, examples: OperatorDefinition['examples']): OperatorDefinition<TermsArgs> {
  return {
    name,
    description,
    examples,
    graze: GRAZE,
    args: TermsArgsSchema,
    profiles: true,
    cost: 6,
    pure: true,
    compile([path, terms, caseInsensitive, asRegex]) {
      return patternLeaf(compilePath(path), compileRegex(termsPattern(terms, asRegex), caseInsensitive), termsTextPattern(terms, caseInsensitive, asRegex), negate);
    },
  };
}

/** `regex_any [path, [terms], caseInsensitive = true, asRegex = false]`: any term occurs. */
export const regex_any = termsOperator(
  'regex_any',
  false,
  'Any of the terms occurs in the text at `path`. A word-like term matches as a whole word: not inside another word (`apple` is not in "theapple"), not joined by "-" ("apple-pie"), and not right after "/" or "." (so URL paths and domains such as "/apple" or ".apple" do not count). A domain-like term (containing "." or starting with "http") must not run on into a word or "-" ("obsidian.md" matches "forum.obsidian.md/t/1" but not "obsidian.md5rocks.com").',
  [
    { args: ['text', ['apple', 'pear']], means: 'the text has the word "apple" or "pear"' },
    { args: ['text', ['colou?r'], true, true], means: 'the word "color" or "colour", but not "watercolor"' },
    { args: ['embed.external.uri', ['nytimes.com']], means: 'the link card points at nytimes.com' },
  ],
);
