import { RE2JS } from 're2js';
import type { Resolved } from './path.ts';

/**
 * Patterns come from manifests and must never hang the service, so they run on RE2 semantics
 * (linear time). A pattern RE2 cannot run (backreferences, lookaround) is a load error.
 */
export function compileRegex(pattern: string, caseInsensitive: boolean): RE2JS {
  try {
    return RE2JS.compile(pattern, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (error) {
    throw new Error(`regex ${JSON.stringify(pattern)} cannot be compiled by the linear-time engine: ${(error as Error).message}`);
  }
}

/** True when any string (or number) the path yields matches. */
export function anyMatches(regex: RE2JS, resolved: Resolved): boolean {
  const values = resolved.many ? resolved.values : [resolved.value];
  return values.some((v) => (typeof v === 'string' || typeof v === 'number') && regex.test(String(v)));
}

/** Literal terms: word-like ones match as whole words (not inside `theapple` nor `apple-pie`); domain-like ones must not run on into a word. */
export function termsPattern(terms: readonly string[], asRegex: boolean): string {
  if (asRegex) return terms.map((t) => `(?:${t})`).join('|');
  const domainLike = (t: string) => t.includes('.') || t.toLowerCase().startsWith('http');
  const alternatives = terms.map((t) => RE2JS.quote(t));
  const words = alternatives.filter((_, i) => !domainLike(terms[i]!));
  const domains = alternatives.filter((_, i) => domainLike(terms[i]!));
  const parts = [];
  if (words.length) parts.push(`(?:^|[^\\w-])(?:${words.join('|')})(?:$|[^\\w-])`);
  if (domains.length) parts.push(`(?:${domains.join('|')})(?:$|[^\\w-])`);
  return parts.join('|') || '$^';
}
