import type { Decisions, Verdict } from './index.ts';

/** Several batches' decisions read as one, in order: one label commit for all of them. */
export function joinDecisions(parts: readonly Decisions[]): Decisions {
  const live = parts.filter((p) => p.size);
  if (live.length === 1) return live[0]!;
  const starts: number[] = [];
  let size = 0;
  for (const part of live) {
    starts.push(size);
    size += part.size;
  }
  const locate = (i: number): [Decisions, number] => {
    let p = live.length - 1;
    while (starts[p]! > i) p--;
    return [live[p]!, i - starts[p]!];
  };
  return {
    size,
    uri: (i) => ((part, j) => part.uri(j))(...locate(i)),
    label: (i) => ((part, j) => part.label(j))(...locate(i)),
    matched: (i) => ((part, j) => part.matched(j))(...locate(i)),
    verdict: (i) => ((part, j) => part.verdict(j))(...locate(i)),
  };
}

/** The pairs (post × manifest, `i % count` the manifest) of the manifests `keep` marks. */
export function manifestSubset(decisions: Decisions, count: number, keep: readonly boolean[]): Decisions {
  const kept: number[] = [];
  for (let i = 0; i < decisions.size; i++) if (keep[i % count]) kept.push(i);
  return {
    size: kept.length,
    uri: (i) => decisions.uri(kept[i]!),
    label: (i) => decisions.label(kept[i]!),
    matched: (i) => decisions.matched(kept[i]!),
    verdict: (i) => decisions.verdict(kept[i]!),
  };
}

/** Decisions on accounts (uri = DID): their labels carry no cid. */
export function accountDecisions(decisions: Decisions): Decisions {
  return { ...bound(decisions), verdict: (i): Verdict => ({ ...decisions.verdict(i), cid: null }) };
}

const bound = (d: Decisions): Decisions => ({ size: d.size, uri: (i) => d.uri(i), label: (i) => d.label(i), matched: (i) => d.matched(i), verdict: (i) => d.verdict(i) });
