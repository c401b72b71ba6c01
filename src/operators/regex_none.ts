import { termsOperator } from './regex_any.ts';

/** `regex_none [path, [terms], caseInsensitive = true, asRegex = false]`: no term occurs. */
export const regex_none = termsOperator('regex_none', true);
