import { parseTree, findNodeAtLocation } from 'jsonc-parser';
import type { Problem } from './api.ts';
import { h } from './dom.ts';

const LOGIC = new Set(['and', 'or', 'not', 'each']);

type Path = (string | number)[];
const dotted = (path: Path) => path.reduce<string>((p, k) => (typeof k === 'number' ? `${p}[${k}]` : p ? `${p}.${k}` : k), '');

/**
 * The filter as a tree of boxes, like Graze's builder: logic nodes holding their conditions, leaves with
 * their arguments. A click selects the condition in the editor; a condition with a problem is marked.
 */
export function filterTree(text: string, problems: readonly Problem[], select: (from: number, to: number) => void): HTMLElement {
  let manifest: { filter?: unknown };
  try {
    manifest = JSON.parse(text) as { filter?: unknown };
  } catch {
    return h('p', { class: 'muted' }, 'The tree shows once the JSON parses.');
  }
  const tree = parseTree(text);
  const jump = (path: Path) => () => {
    const node = tree && findNodeAtLocation(tree, path);
    if (node) select(node.offset, node.offset + node.length);
  };
  // `each` runs its condition for every element of a list parameter: show the parameter and the condition.
  const eachChildren = (args: unknown, path: Path): HTMLElement[] => {
    const { param, ...conditions } = (args ?? {}) as { param?: unknown } & Record<string, unknown>;
    return [
      h('div', { class: 'args' }, h('code', { class: 'arg' }, `param ${JSON.stringify(param)}`)),
      ...Object.entries(conditions).map(([quantifier, condition]) => h('div', {}, h('em', {}, quantifier), render(condition, [...path, quantifier]))),
    ];
  };
  const render = (node: unknown, path: Path): HTMLElement => {
    const where = dotted(path);
    const broken = problems.some((p) => p.path === where || p.path.startsWith(`${where}.`) || p.path.startsWith(`${where}[`));
    if (!node || typeof node !== 'object' || Array.isArray(node)) return h('div', { class: 'node leaf broken', onclick: jump(path) }, h('code', {}, JSON.stringify(node)));
    const [op, args] = Object.entries(node).find(([key]) => key !== 'metadata') ?? ['(empty)', undefined];
    const note = (node as { metadata?: unknown }).metadata;
    const title = h('div', { class: 'op', onclick: jump([...path, op]) }, h('strong', {}, op), note !== undefined ? h('span', { class: 'muted' }, ` ${JSON.stringify(note)}`) : null);
    if (LOGIC.has(op)) {
      const children =
        op === 'not' ? [render(args, [...path, op])] : op === 'each' ? eachChildren(args, [...path, op]) : Array.isArray(args) ? args.map((child, i) => render(child, [...path, op, i])) : [];
      return h('div', { class: `node logic logic-${op}${broken ? ' broken' : ''}` }, title, h('div', { class: 'children' }, children));
    }
    const shown = Array.isArray(args) ? args.map((a) => h('code', { class: 'arg' }, JSON.stringify(a))) : [h('code', { class: 'arg' }, JSON.stringify(args))];
    return h('div', { class: `node leaf${broken ? ' broken' : ''}` }, title, h('div', { class: 'args' }, shown));
  };
  return h('div', { class: 'filter-tree' }, manifest.filter === undefined ? h('p', { class: 'muted' }, 'No filter yet.') : render(manifest.filter, ['filter']));
}
