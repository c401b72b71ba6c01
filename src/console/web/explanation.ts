import { h } from './dom.ts';

import type { TraceEntry } from '../../evaluate/compile.ts';

export type { TraceEntry };

interface RegexMatch {
  index: number;
  start: number;
  end: number;
}

/** The spans of `text` that regex leaves matched (true leaves whose matched value is the text itself). */
export function matchedSpans(text: string, explanation: readonly TraceEntry[]): [number, number][] {
  const spans: [number, number][] = [];
  for (const entry of explanation) {
    const inputs = entry.inputs as { value?: unknown; match?: RegexMatch } | undefined;
    if (entry.result !== true || !inputs?.match) continue;
    const value = Array.isArray(inputs.value) ? inputs.value[inputs.match.index] : inputs.value;
    if (value === text) spans.push([inputs.match.start, inputs.match.end]);
  }
  return spans.sort((a, b) => a[0] - b[0]);
}

/** The text with its matched spans in <mark>. */
export function highlighted(text: string, spans: readonly [number, number][]): HTMLElement {
  const out = h('p', { class: 'post-text' });
  let at = 0;
  for (const [start, end] of spans) {
    if (start < at) continue;
    out.append(text.slice(at, start), h('mark', {}, text.slice(start, end)));
    at = end;
  }
  out.append(text.slice(at));
  return out;
}

const depth = (path: string) => path.split('.').length - 2;

function seen(entry: TraceEntry): string {
  const parts = [];
  if (entry.score !== undefined) parts.push(`score ${Number(entry.score.toFixed(4))}`);
  if (entry.inputs !== undefined) {
    const json = JSON.stringify(entry.inputs);
    parts.push(json.length > 160 ? `${json.slice(0, 160)}…` : json);
  }
  return parts.join(', ');
}

/** The explanation as `skysift explain` prints it: one line per condition, indented by depth, its result coloured. */
export function explanationTree(explanation: readonly TraceEntry[]): HTMLElement {
  return h(
    'ul',
    { class: 'explanation' },
    explanation.map((entry) =>
      h(
        'li',
        { style: `padding-left:${Math.max(0, depth(entry.path)) * 1.2}em` },
        h('span', { class: `result r-${String(entry.result)}` }, String(entry.result)),
        ' ',
        h('code', {}, entry.path),
        ' ',
        h('span', { class: 'seen' }, seen(entry)),
      ),
    ),
  );
}
