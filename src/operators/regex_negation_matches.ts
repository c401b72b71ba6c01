import { regexOperator } from './regex_matches.ts';

/** `regex_negation_matches [path, pattern, caseInsensitive = true]`: the path does not match. */
export const regex_negation_matches = regexOperator('regex_negation_matches', true, 'The text at `path` does not match `pattern` (a missing value matches nothing, so it passes).', [
  { args: ['text', '\\b(science|study|research)\\b'], means: 'the text never mentions science, a study or research' },
]);
