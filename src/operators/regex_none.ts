import { termsOperator } from './regex_any.ts';

/** `regex_none [path, [terms], caseInsensitive = true, asRegex = false]`: no term occurs. */
export const regex_none = termsOperator('regex_none', true, 'None of the terms occurs in the text at `path`, with the boundaries of regex_any.', [
  { args: ['text', ['giveaway', 'promo code']], means: 'the text mentions neither "giveaway" nor "promo code"' },
]);
