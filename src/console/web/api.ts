let csrf = '';

/** A failed console request, with the server's reason and body (problems of a manifest, ...). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: string; problems?: Problem[] } & Record<string, unknown>,
  ) {
    super(body.error ?? `HTTP ${status}`);
  }
}

export interface Problem {
  path: string;
  message: string;
}

export interface Job<R> {
  id: string;
  state: 'running' | 'done' | 'failed';
  progress: { scanned: number; total: number };
  result?: R;
  error?: string;
}

/** JSON in and out; writes carry the CSRF header; a lost session goes back to the login page. */
export async function api<T>(path: string, options: { method?: string; body?: unknown } = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const response = await fetch(`/console/api/${path}`, {
    method,
    credentials: 'same-origin',
    headers: { ...(options.body !== undefined && { 'content-type': 'application/json' }), ...(method !== 'GET' && { 'x-skysift-csrf': csrf }) },
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
  });
  if (response.status === 401) location.assign('/console/login');
  const body = await response.json();
  if (!response.ok) throw new ApiError(response.status, body);
  return body as T;
}

export async function startSession(): Promise<void> {
  csrf = (await api<{ csrf: string }>('session')).csrf;
}

/** Polls a job until it ends, telling `progress` along the way. */
export async function jobResult<R>(job: Job<R>, progress: (job: Job<R>) => void): Promise<R> {
  let current = job;
  while (current.state === 'running') {
    progress(current);
    await new Promise((resolve) => setTimeout(resolve, 250));
    current = await api<Job<R>>(`jobs/${job.id}`);
  }
  progress(current);
  if (current.state === 'failed') throw new Error(current.error);
  return current.result!;
}
