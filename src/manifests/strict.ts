import { z } from 'zod';
import { didYouMean } from '../messages.ts';

/**
 * An object schema that rejects unknown keys, naming each with the known key it probably meant (or a
 * hint for a known mistake), so a typo such as "severty" is an error rather than a silently ignored key.
 */
export function strictObject<Shape extends z.ZodRawShape>(shape: Shape, hints: Record<string, string> = {}) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? issue.keys.map((key) => `unknown key "${key}"${hints[key] ? `: ${hints[key]}` : didYouMean(key, known)}`).join('; ') : undefined),
  });
}
