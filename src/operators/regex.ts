import { RE2JS } from 're2js';
import { leaf, type Leaf, type LiteralAcceptor, type PostInput, type TextPattern } from '../core/operator.ts';
import { shown } from './path.ts';

/** Constructs RE2 cannot run, found before compiling so the message can say what to do instead. */
const UNSUPPORTED: [RegExp, string][] = [
  [
    /(^|[^\\])(\\\\)*\(\?<[=!]/,
    'lookbehind ((?<= and (?<!) is not supported by RE2, the linear-time engine: match the preceding text instead, or use regex_any, which keeps terms off word, "/" and "." boundaries',
  ],
  [/(^|[^\\])(\\\\)*\(\?[=!]/, 'lookahead ((?= and (?!) is not supported by RE2, the linear-time engine: match the following text instead, or split the condition with and/not'],
  [/(^|[^\\])(\\\\)*\\[1-9]/, 'backreferences (\\1, \\2, …) are not supported by RE2, the linear-time engine'],
];

/**
 * Patterns come from manifests and must never hang the service, so they run on RE2 semantics
 * (linear time). A pattern RE2 cannot run (backreferences, lookaround) is a load error saying so.
 */
export function compileRegex(pattern: string, caseInsensitive: boolean): RE2JS {
  const unsupported = UNSUPPORTED.find(([construct]) => construct.test(pattern));
  if (unsupported) throw new Error(`regex ${JSON.stringify(pattern)}: ${unsupported[1]}`);
  try {
    return RE2JS.compile(pattern, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (error) {
    // re2js quotes the pattern with the (?i) it added for the case-insensitive flag; the operator never wrote it.
    const reason = (error as Error).message.replace(/^error parsing regexp: /, '').replace(/`\(\?i\)/, '`');
    throw new Error(`regex ${JSON.stringify(pattern)} cannot be compiled by the linear-time engine (RE2): ${reason}`);
  }
}

/** Where a regex matched: the value's index among those looked at, and the matched span in it. */
export interface RegexMatch {
  index: number;
  text: string;
  start: number;
  end: number;
}

/** Named groups around the terms of a terms pattern, so the reported span leaves out the boundary characters. */
const TERM_GROUPS = ['skysift_word', 'skysift_domain'];

/**
 * The first match in the strings (and numbers) among `values`, or undefined. Most texts do not match:
 * they are only tested, which RE2 does without tracking groups; the span is found for a match alone.
 */
export function firstMatch(regex: RE2JS, values: readonly unknown[]): RegexMatch | undefined {
  for (let index = 0; index < values.length; index++) {
    const value = values[index];
    if ((typeof value !== 'string' && typeof value !== 'number') || !regex.test(String(value))) continue;
    const matcher = regex.matcher(String(value));
    matcher.find();
    const group = TERM_GROUPS.find((name) => name in regex.namedGroups() && matcher.start(name) >= 0) ?? 0;
    return { index, text: matcher.group(group) ?? '', start: matcher.start(group), end: matcher.end(group) };
  }
  return undefined;
}

/**
 * Graze's word boundary, which Python's `re` runs with Unicode word characters (letters, digits and
 * `_` of any script; RE2's `\w` is ASCII only, so `café` would end at `caf`).
 */
const WORD = '\\p{L}\\p{N}_';
/** What may precede a word-like term: not a word character, `-`, `/` or `.`. */
const BEFORE_WORD = `[^${WORD}\\-/.]`;
/** What may follow any term: not a word character or `-`. */
const AFTER_TERM = `[^${WORD}-]`;

/** Graze's test for terms that are domains or URLs (helpers.is_likely_domain_or_url). */
const isDomainLike = (term: string) => term.includes('.') || term.startsWith('http');

/**
 * The pattern of `regex_any`/`regex_none` terms, as Graze builds it (app/algos/operators/regex.py):
 * a word-like term must not follow a word character, `-`, `/` or `.` (so `apple` matches neither
 * `theapple`, `/apple` nor `.apple`) and must not run on into a word character or `-` (`apple-pie`);
 * a domain-like term has only the trailing rule. Literal terms are escaped; regex terms (asRegex) keep
 * their syntax under the same boundaries, each wrapped in a group (Graze splices them in bare, so an
 * alternation inside one term escapes its boundaries). RE2 has no lookbehind, so the leading rule
 * consumes the character before the term; the term itself is a named group, for the span.
 */
export function termsPattern(terms: readonly string[], asRegex: boolean): string {
  const alternatives = terms.map((t) => (asRegex ? `(?:${t})` : RE2JS.quote(t)));
  const words = alternatives.filter((_, i) => !isDomainLike(terms[i]!));
  const domains = alternatives.filter((_, i) => isDomainLike(terms[i]!));
  const after = `(?:$|${AFTER_TERM})`;
  const parts = [];
  if (words.length) parts.push(`(?:^|${BEFORE_WORD})(?P<${TERM_GROUPS[0]}>${words.join('|')})${after}`);
  if (domains.length) parts.push(`(?P<${TERM_GROUPS[1]}>${domains.join('|')})${after}`);
  return parts.join('|');
}

/**
 * Whether one character (a code point) is in a character class, decided by RE2 itself with the
 * pattern's case flag (case folding widens a class), so that the boundaries checked around a literal
 * occurrence are exactly those of the pattern. ASCII is tabled at once, other characters as they come.
 */
function classMember(charClass: string, caseInsensitive: boolean): (codePoint: number) => boolean {
  const regex = compileRegex(`^${charClass}$`, caseInsensitive);
  const ascii = Array.from({ length: 128 }, (_, c) => regex.test(String.fromCharCode(c)));
  const others = new Map<number, boolean>();
  return (codePoint) => {
    if (codePoint < 128) return ascii[codePoint]!;
    let member = others.get(codePoint);
    if (member === undefined) others.set(codePoint, (member = regex.test(String.fromCodePoint(codePoint))));
    return member;
  };
}

/** The code point that ends just before `index` (a surrogate pair read as one character, as RE2 does). */
function codePointBefore(value: string, index: number): number {
  const low = value.charCodeAt(index - 1);
  if (low >= 0xdc00 && low <= 0xdfff && index >= 2) {
    const high = value.charCodeAt(index - 2);
    if (high >= 0xd800 && high <= 0xdbff) return (high - 0xd800) * 0x400 + (low - 0xdc00) + 0x10000;
  }
  return low;
}

/** Where a literal occurrence of a term counts: the boundaries of `termsPattern`, one acceptor per kind of term and case flag. */
function termAcceptors(caseInsensitive: boolean): { word: LiteralAcceptor; domain: LiteralAcceptor } {
  const before = classMember(BEFORE_WORD, caseInsensitive);
  const after = classMember(AFTER_TERM, caseInsensitive);
  const ends = (value: string, end: number) => end === value.length || after(value.codePointAt(end)!);
  return {
    word: (value, start, end) => (start === 0 || before(codePointBefore(value, start))) && ends(value, end),
    domain: (value, _start, end) => ends(value, end),
  };
}

const ACCEPTORS = { insensitive: termAcceptors(true), sensitive: termAcceptors(false) };

/** Terms the evaluator's automaton can find: any text within the BMP. */
const isBmp = (text: string) => !/[\ud800-\udfff]/.test(text);

/** A compiled regex as a text pattern's `regex`. */
export function regexPart(source: string, regex: RE2JS): NonNullable<TextPattern['regex']> {
  return { source, test: (value) => regex.test(value) };
}

const restPattern = (source: string, caseInsensitive: boolean) => regexPart(source, compileRegex(source, caseInsensitive));

/**
 * `regex_any` terms as a text pattern: literal terms are literals with the boundaries of
 * `termsPattern` (found by the evaluator's automaton, no regex run); regex terms and terms with
 * characters outside the BMP (emoji) stay a regex (`termsPattern` of those alone).
 */
export function termsTextPattern(terms: readonly string[], caseInsensitive: boolean, asRegex: boolean): TextPattern {
  const acceptors = caseInsensitive ? ACCEPTORS.insensitive : ACCEPTORS.sensitive;
  const literal = asRegex ? [] : terms.filter(isBmp);
  const rest = asRegex ? terms : terms.filter((t) => !isBmp(t));
  return {
    caseInsensitive,
    literals: literal.map((text) => ({ text, accepts: isDomainLike(text) ? acceptors.domain : acceptors.word })),
    ...(rest.length && { regex: restPattern(termsPattern(rest, asRegex), caseInsensitive) }),
  };
}

/**
 * A leaf testing a text pattern over the values of a path: explained with the full regex (the first
 * match and its span), decided on the fast path from `text`, the same pattern declared for the
 * evaluator's multi-pattern pass.
 */
export function patternLeaf(values: PostInput<readonly unknown[]>, regex: RE2JS, text: TextPattern, negate: boolean): Leaf<readonly unknown[]> {
  return leaf(
    (post) => {
      const resolved = values.read(post);
      const match = firstMatch(regex, resolved);
      return { matched: (match !== undefined) !== negate, inputs: { value: shown(resolved), ...(match && { match }) } };
    },
    { input: values, pattern: { text, negate } },
  );
}
