import type { Services } from '../core/services.ts';
import type { Labeler } from '../label/index.ts';
import type { Logger } from '../log.ts';
import type { ManifestWatcher } from '../manifests/watch.ts';
import type { Metrics } from '../metrics.ts';
import type { ReportStore } from '../moderation/reports.ts';
import type { PostStore } from '../store/posts.ts';
import type { Jobs } from './jobs.ts';

/** What the console reads and changes: the running service's parts, never its configuration or keys. */
export interface ConsoleContext {
  manifestsDir: string;
  manifests: ManifestWatcher;
  services: Services;
  labeler: Labeler;
  posts: PostStore;
  reports: ReportStore;
  metrics: Metrics;
  /** The service's health report (as `GET /health` answers). */
  health: () => unknown;
  logger: Logger;
  jobs: Jobs;
}
