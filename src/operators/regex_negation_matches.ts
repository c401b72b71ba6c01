import { regexOperator } from './regex_matches.ts';

/** `regex_negation_matches [path, pattern, caseInsensitive = true]`: the path does not match. */
export const regex_negation_matches = regexOperator('regex_negation_matches', true);
