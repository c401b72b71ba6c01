import { findNodeAtLocation, parseTree, type Node as JsonNode } from 'jsonc-parser';

type Segment = string | number;

/** `filter.and[0].regex_matches[1]` as segments; the loader's `(file)` / `(manifest)` are the whole text. */
export function segments(path: string): Segment[] {
  if (path.startsWith('(')) return [];
  const out: Segment[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(match[2] !== undefined ? Number(match[2]) : match[1]!);
  return out;
}

/** Where a loader problem's JSON path lies in the text: its node, or the nearest ancestor that exists. */
export function rangeOf(text: string, path: string): { from: number; to: number } {
  const tree = parseTree(text);
  if (!tree) return { from: 0, to: Math.min(text.length, 1) };
  let parts = segments(path);
  for (;;) {
    const node: JsonNode | undefined = findNodeAtLocation(tree, parts);
    if (node) {
      // A property's value node: underline its key too, so a wrong operator shows where it is written.
      const start = node.parent?.type === 'property' ? node.parent.offset : node.offset;
      return { from: start, to: node.offset + node.length };
    }
    if (!parts.length) return { from: 0, to: Math.min(text.length, 1) };
    parts = parts.slice(0, -1);
  }
}

/** A syntax problem's offset from the loader's "at line L, column C". */
export function offsetOfLineColumn(text: string, message: string): number | undefined {
  const match = /at line (\d+), column (\d+)/.exec(message);
  if (!match) return undefined;
  const lines = text.split('\n').slice(0, Number(match[1]) - 1);
  return lines.reduce((sum, line) => sum + line.length + 1, 0) + Number(match[2]) - 1;
}
