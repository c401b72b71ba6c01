import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The service's Prometheus metrics, in one registry so tests can make their own. */
export class Metrics {
  readonly registry = new Registry();
  readonly eventsIn = new Counter({ name: 'skysift_events_total', help: 'Jetstream events received, by kind and collection.', labelNames: ['kind', 'collection'], registers: [this.registry] });
  readonly malformed = new Counter({ name: 'skysift_malformed_events_total', help: 'Events skipped as malformed, by reason.', labelNames: ['reason'], registers: [this.registry] });
  readonly postsEvaluated = new Counter({ name: 'skysift_posts_evaluated_total', help: 'Posts evaluated against the manifests.', registers: [this.registry] });
  readonly manifestMatches = new Counter({ name: 'skysift_manifest_matches_total', help: 'Posts matched, by label value.', labelNames: ['label'], registers: [this.registry] });
  readonly undecidedVerdicts = new Counter({
    name: 'skysift_undecided_verdicts_total',
    help: 'Manifest verdicts a failed feature (e.g. an LLM call) left undecided: no label change, decided on a later sighting. By label value.',
    labelNames: ['label'],
    registers: [this.registry],
  });
  readonly labelsEmitted = new Counter({ name: 'skysift_labels_emitted_total', help: 'Labels emitted, by label value.', labelNames: ['label'], registers: [this.registry] });
  readonly labelsNegated = new Counter({ name: 'skysift_labels_negated_total', help: 'Label negations emitted, by label value.', labelNames: ['label'], registers: [this.registry] });
  readonly labelSubscribers = new Gauge({ name: 'skysift_label_subscribers', help: 'Open subscribeLabels streams.', registers: [this.registry] });
  readonly labelStreamErrors = new Counter({
    name: 'skysift_label_stream_errors_total',
    help: 'subscribeLabels streams ended with an error frame, by error (FutureCursor, ConsumerTooSlow, InvalidRequest, ...).',
    labelNames: ['error'],
    registers: [this.registry],
  });
  readonly evaluationSeconds = new Histogram({
    name: 'skysift_evaluation_seconds',
    help: 'Time to evaluate and label one batch of events.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({ name: 'skysift_queue_depth', help: 'Events received and not yet processed.', registers: [this.registry] });
  readonly cursorLagSeconds = new Gauge({
    name: 'skysift_cursor_lag_seconds',
    help: 'Age of the newest fully processed event (the stored cursor counts, so a restart without Jetstream shows its true age); NaN while no event was ever processed.',
    registers: [this.registry],
  });
  readonly jetstreamConnected = new Gauge({ name: 'skysift_jetstream_connected', help: '1 while connected to Jetstream.', registers: [this.registry] });
  readonly jetstreamPaused = new Gauge({ name: 'skysift_jetstream_paused', help: '1 while reading from Jetstream is paused because the queue is full (backpressure).', registers: [this.registry] });
  readonly backpressurePauses = new Counter({
    name: 'skysift_jetstream_backpressure_pauses_total',
    help: 'Times reading from Jetstream was paused because evaluation fell behind.',
    registers: [this.registry],
  });
  readonly feedSyncErrors = new Counter({
    name: 'skysift_feed_sync_errors_total',
    help: 'Feed syncs that failed (retried on the next tick), by feed.',
    labelNames: ['feed'],
    registers: [this.registry],
  });
  readonly feedPostsSynced = new Counter({ name: 'skysift_feed_posts_synced_total', help: 'Posts taken from feeds, by feed.', labelNames: ['feed'], registers: [this.registry] });
  readonly reconnects = new Counter({
    name: 'skysift_jetstream_reconnects_total',
    help: 'Jetstream reconnection attempts (after a dropped connection or a failed attempt).',
    registers: [this.registry],
  });
  readonly jetstreamConnectFailures = new Counter({
    name: 'skysift_jetstream_connect_failures_total',
    help: 'Jetstream connection attempts that failed before the connection opened (refused, timed out, rejected).',
    registers: [this.registry],
  });
  readonly manifestErrors = new Counter({ name: 'skysift_manifest_errors_total', help: 'Manifest problems reported on load or reload.', registers: [this.registry] });
  readonly cursorWriteFailures = new Counter({ name: 'skysift_cursor_write_failures_total', help: 'Failed writes of the Jetstream cursor (retried on the next tick).', registers: [this.registry] });
  readonly reportsReceived = new Counter({
    name: 'skysift_reports_received_total',
    help: 'Reports taken through createReport (verified, within the limits, valid), by kind (appeal, report).',
    labelNames: ['kind'],
    registers: [this.registry],
  });
  readonly reportsRefused = new Counter({
    name: 'skysift_reports_refused_total',
    help: 'createReport requests refused, by error (BadJwtSignature, JwtExpired, BadJwtAudience, RateLimitExceeded, InvalidRequest, ...).',
    labelNames: ['error'],
    registers: [this.registry],
  });
  /** Read from the database at each scrape: reports are resolved by the CLI, in another process. */
  private reportCounts: (() => Record<string, number>) | undefined;
  readonly reports = new Gauge({
    name: 'skysift_reports',
    help: 'Reports in the database, by status (open, upheld, rejected).',
    labelNames: ['status'],
    registers: [this.registry],
    collect: () => {
      for (const [status, n] of Object.entries(this.reportCounts?.() ?? {})) this.reports.set({ status }, n);
    },
  });
  readonly batchFailures = new Counter({ name: 'skysift_batch_failures_total', help: 'Batches that failed (database busy, disk full, ...) and were retried.', registers: [this.registry] });

  /** Where `skysift_reports` reads its counts. */
  countReports(counts: () => Record<string, number>): void {
    this.reportCounts = counts;
  }

  readonly labelsServed = new Counter({
    name: 'skysift_labels_served_total',
    help: 'Labels sent to clients, by method (subscribeLabels, queryLabels).',
    labelNames: ['method'],
    registers: [this.registry],
  });
  readonly natsPublished = new Counter({ name: 'skysift_nats_published_total', help: 'Events published to the NATS stream (cluster ingest).', registers: [this.registry] });
  readonly natsDuplicates = new Counter({
    name: 'skysift_nats_duplicates_total',
    help: 'Events published that the NATS stream already held (another ingest reader or a retry): stored once.',
    registers: [this.registry],
  });
  readonly workerBatches = new Counter({ name: 'skysift_worker_batches_total', help: 'Batches of stream events applied and acknowledged, by partition.', labelNames: ['partition'], registers: [this.registry] });
  readonly workerLag = new Gauge({ name: 'skysift_worker_lag_messages', help: 'Events of the partition in the stream and not yet delivered to this worker, by partition.', labelNames: ['partition'], registers: [this.registry] });
  readonly workerPartitionHeld = new Gauge({
    name: 'skysift_worker_partition_held',
    help: 'Whether this worker holds the partition and reads it (1) or not (0): its own, or taken over while its worker is gone.',
    labelNames: ['partition'],
    registers: [this.registry],
  });
  readonly workerRedelivered = new Counter({
    name: 'skysift_worker_redelivered_total',
    help: 'Events delivered again that the partition cursor showed were already applied (skipped), by partition.',
    labelNames: ['partition'],
    registers: [this.registry],
  });
  readonly workerFailures = new Counter({
    name: 'skysift_worker_failures_total',
    help: 'Times a partition was read again from its cursor after a failure (NATS leader election, PostgreSQL down, a moved cursor), by partition.',
    labelNames: ['partition'],
    registers: [this.registry],
  });

  /** `role`: the cluster role of this process (ingest, worker, labels), a label on every metric; none for the whole service. */
  constructor(role?: string) {
    if (role) this.registry.setDefaultLabels({ role });
    collectDefaultMetrics({ register: this.registry, prefix: 'skysift_' });
  }
}
