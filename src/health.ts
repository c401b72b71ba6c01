import type Database from 'better-sqlite3';
import type { JetstreamSource, SourceStatus } from './ingest/jetstream.ts';
import type { Metrics } from './metrics.ts';

/** One reason the service is degraded. */
export interface HealthProblem {
  component: 'database' | 'jetstream';
  reason: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  /** Why the status is `degraded`: one entry per component that is not well. */
  problems: HealthProblem[];
  database: string;
  jetstream: SourceStatus;
  manifests: number;
}

export interface HealthSources {
  db: Database.Database;
  source: JetstreamSource;
  manifests: () => number;
  metrics: Metrics;
}

/** The service's state for `GET /health`; also brings the gauges `/metrics` reports up to date. */
export function healthReport({ db, source, manifests, metrics }: HealthSources): HealthReport {
  const jetstream = source.status();
  metrics.queueDepth.set(jetstream.queued);
  metrics.cursorLagSeconds.set(jetstream.lagSeconds ?? Number.NaN);
  let database = 'ok';
  try {
    db.prepare('SELECT 1').get();
  } catch (error) {
    database = (error as Error).message;
  }
  const problems: HealthProblem[] = [];
  if (database !== 'ok') problems.push({ component: 'database', reason: database });
  if (!jetstream.connected) problems.push({ component: 'jetstream', reason: jetstreamProblem(jetstream) });
  return { status: problems.length ? 'degraded' : 'ok', problems, database, jetstream, manifests: manifests() };
}

function jetstreamProblem({ lastError, failedAttempts, nextAttemptAt }: SourceStatus): string {
  if (!lastError) return 'connecting';
  const attempts = failedAttempts ? `${failedAttempts} failed attempt${failedAttempts === 1 ? '' : 's'}` : 'disconnected';
  return `not connected (${attempts}; last error at ${lastError.at}: ${lastError.message})${nextAttemptAt ? `; next attempt at ${nextAttemptAt}` : ''}`;
}
