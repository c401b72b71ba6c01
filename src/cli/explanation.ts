import type { TraceEntry } from '../evaluate/compile.ts';
import type { RegexMatch } from '../operators/regex.ts';

const MAX = 100;

/** A string cut to about `MAX` characters around `[start, end)`, for one line of output. */
function excerpt(text: string, start = 0, end = 0): string {
  if (text.length <= MAX) return text;
  const from = Math.max(0, Math.min(start - 30, text.length - MAX));
  return `${from > 0 ? '…' : ''}${text.slice(from, Math.max(end, from + MAX))}${from + MAX < text.length ? '…' : ''}`;
}

const quoted = (value: unknown) => JSON.stringify(typeof value === 'string' ? excerpt(value) : value);

/** What a leaf looked at, in words: the matched span of a regex, else the value it saw. */
function seen(inputs: unknown): string {
  if (inputs === null || typeof inputs !== 'object') return `saw ${quoted(inputs)}`;
  const { value, match, reason, ...rest } = inputs as { value?: unknown; match?: RegexMatch; reason?: string };
  if (reason !== undefined) return reason;
  if (match) {
    const text = String(Array.isArray(value) ? value[match.index] : value);
    return `matched ${JSON.stringify(match.text)} at ${match.start}–${match.end} of ${JSON.stringify(excerpt(text, match.start, match.end))}`;
  }
  const keys = Object.keys(rest);
  const [name, shown] = 'value' in (inputs as object) ? ['saw', value] : keys.length === 1 ? [keys[0]!, rest[keys[0] as keyof typeof rest]] : ['saw', rest];
  const json = JSON.stringify(shown, (_, v: unknown) => (typeof v === 'string' ? excerpt(v) : v));
  return `${name} ${json.length > 300 ? `${json.slice(0, 300)}…` : json}`;
}

/** How deep a node sits: one level per operator in its path (`filter.and[0].not.regex_any` is 3). */
const depth = (path: string) => path.split('.').length - 2;

/** The explanation as an indented tree, one line per condition: `path: result (what it looked at, score)`. */
export function explanationLines(entries: readonly TraceEntry[], indent = '  '): string[] {
  return entries.map((entry) => {
    const details = [entry.score !== undefined ? `score ${Number(entry.score.toFixed(4))}` : '', entry.inputs !== undefined ? seen(entry.inputs) : ''].filter(Boolean).join(', ');
    return `${indent}${'  '.repeat(Math.max(0, depth(entry.path)))}${entry.path}: ${entry.result}${details ? ` (${details})` : ''}`;
  });
}

/** The first line of a post's text, cut for a terminal. */
export function postExcerpt(text: string): string {
  return JSON.stringify(excerpt(text.replace(/\s+/g, ' ').trim()));
}
