/**
 * Requests to other services (the AppView, a PDS, the PLC directory, an LLM endpoint) that get no answer
 * fail with the URL and the cause — "GET https://plc.directory/did:plc:…/data: connect ECONNREFUSED
 * 127.0.0.1:2582" — instead of undici's bare "fetch failed".
 */

/** What went wrong underneath a failed `fetch`: refused, unknown host, TLS, timed out. */
export function networkCause(error: unknown): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return 'no answer before the timeout';
  if (error instanceof DOMException && error.name === 'AbortError') return 'aborted';
  const cause = (error as { cause?: unknown }).cause ?? error;
  if (cause instanceof AggregateError && !cause.message) return [...new Set(cause.errors.map((e) => (e as Error).message))].join('; ') || String((cause as { code?: string }).code);
  return (cause as Error).message || String((cause as { code?: string }).code ?? cause);
}

function requestLine(input: Parameters<typeof fetch>[0], init?: RequestInit): string {
  const url = input instanceof Request ? input.url : String(input);
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
  return `${method.toUpperCase()} ${url}`;
}

/** `fetch`, failing with `<METHOD> <url>: <cause>`. Give it to `@atproto/api` agents as their `fetch`. */
export const describedFetch: typeof fetch = async (input, init) => {
  try {
    return await fetch(input, init);
  } catch (error) {
    throw new Error(`${requestLine(input, init)}: ${networkCause(error)}`, { cause: error });
  }
};
