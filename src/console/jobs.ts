import { randomUUID } from 'node:crypto';

export interface Progress {
  scanned: number;
  total: number;
}

export interface Job {
  id: string;
  kind: string;
  state: 'running' | 'done' | 'failed';
  progress: Progress;
  startedAt: string;
  result?: unknown;
  error?: string;
}

const KEPT = 20;

/** Long console work (previews, history runs) as jobs the page polls for progress and, at the end, the result. */
export class Jobs {
  private readonly jobs = new Map<string, Job>();

  start(kind: string, total: number, run: (progress: (p: Progress) => void) => Promise<unknown>): Job {
    const job: Job = { id: randomUUID(), kind, state: 'running', progress: { scanned: 0, total }, startedAt: new Date().toISOString() };
    this.jobs.set(job.id, job);
    for (const id of [...this.jobs.keys()].slice(0, Math.max(0, this.jobs.size - KEPT))) this.jobs.delete(id);
    run((p) => (job.progress = p)).then(
      (result) => Object.assign(job, { state: 'done', result }),
      (error: unknown) => Object.assign(job, { state: 'failed', error: (error as Error).message }),
    );
    return job;
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }
}
