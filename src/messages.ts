/** Messages for manifest authors: "did you mean" suggestions and readable zod issues. */

/** The candidate closest to `name` by edit distance, if it is close enough to be a likely typo. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** ` (did you mean "x"?)` when a candidate is close to `name`, else nothing. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const suggestion = closest(name, candidates);
  return suggestion ? ` (did you mean "${suggestion}"?)` : '';
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** A zod issue's message as a manifest author reads it: zod's "Invalid input: " prefix dropped, a missing key said so. */
export function issueMessage(issue: { code: string; message: string; path: PropertyKey[] }): string {
  const missing = /^Invalid input: expected (.+), received undefined$/.exec(issue.message);
  if (missing) return `missing ${typeof issue.path.at(-1) === 'string' ? `"${String(issue.path.at(-1))}" ` : 'value '}(expected ${missing[1]})`;
  return issue.message.replace(/^Invalid input: /, '');
}
