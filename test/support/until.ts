/** Polls `condition` until it holds; after `ms` the test fails, naming `what` it was waiting for. */
export async function until(condition: () => boolean | Promise<boolean>, { ms = 30_000, what = 'a condition' }: { ms?: number; what?: string } = {}): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
