/**
 * One counter or gauge from a service's /metrics, summed over the samples whose labels include every
 * pair of `labels`.
 */
export async function metric(base: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  // Generous: on a loaded machine a busy service may answer late, which is not the fault under test.
  const text = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text());
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  return [...text.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm'))]
    .filter((m) => wanted.every((pair) => (m[1] ?? '').split(',').includes(pair)))
    .reduce((sum, m) => sum + Number(m[2]), 0);
}
