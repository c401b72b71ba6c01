import { lexicons, type ComAtprotoModerationCreateReport } from '@atproto/api';
import { AtUri } from '@atproto/syntax';
import type { FastifyInstance } from 'fastify';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config.ts';
import type { ReportPolicy } from '../label/declaration.ts';
import type { LabelStore } from '../label/store.ts';
import { invalidRequest, XrpcError } from '../label/xrpc.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { isAppeal, type ReportStore, type ReportSubject } from './reports.ts';
import type { ServiceAuthVerifier } from './service-auth.ts';

const NSID = 'com.atproto.moderation.createReport';
/** A report is a reason of at most 20,000 bytes (the lexicon's cap) and a subject: 32 KiB is room enough. */
export const REPORT_BODY_LIMIT_BYTES = 32 * 1024;

export interface CreateReportOptions {
  policy: ReportPolicy & Pick<Config, 'REPORTS_PER_REPORTER_PER_HOUR' | 'REPORTS_PER_MINUTE'>;
  reports: ReportStore;
  /** Our label state: an appeal is linked to the labels it contests. */
  labels: LabelStore;
  verify: ServiceAuthVerifier;
  logger: Logger;
  metrics?: Metrics;
}

type Input = ComAtprotoModerationCreateReport.InputSchema;

/** The subject of a report as the lexicon's union gives it: an account (repoRef) or a record (strongRef). */
function reportSubject(subject: Input['subject']): ReportSubject {
  if (subject.$type === 'com.atproto.admin.defs#repoRef') return { type: 'account', uri: (subject as { did: string }).did, cid: null };
  const { uri, cid } = subject as { uri: string; cid: string };
  return { type: 'record', uri, cid };
}

/** The account a subject belongs to: the account itself, or the repository holding the record. */
const ownerOf = (subject: ReportSubject) => (subject.type === 'account' ? subject.uri : new AtUri(subject.uri).host);

/**
 * `com.atproto.moderation.createReport`, as a reporter's PDS proxies it: the service-auth token
 * verified first (nothing is counted or stored for a request that fails it), then the rate limits of
 * the reporter and of everyone, then the body against the lexicon and the report policy the
 * declaration publishes. An appeal must come from the subject's own account and contest a label of
 * ours that is on it; it is linked to those labels, and a repeated open appeal answers with the first.
 */
export function createReportRoute(app: FastifyInstance, options: CreateReportOptions): void {
  const { policy, reports, labels, verify, logger, metrics } = options;
  const perReporter = new RateLimiterMemory({ keyPrefix: 'reporter', points: policy.REPORTS_PER_REPORTER_PER_HOUR, duration: 3600 });
  const everyone = new RateLimiterMemory({ keyPrefix: 'all', points: policy.REPORTS_PER_MINUTE, duration: 60 });
  const reasons = new Set(policy.LABELER_REASON_TYPES);

  const limit = async (reporter: string) => {
    try {
      await perReporter.consume(reporter);
      await everyone.consume('all');
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      throw new XrpcError(429, 'RateLimitExceeded', `too many reports; try again in ${Math.ceil(error.msBeforeNext / 1000)} s`);
    }
  };

  const handle = async (authorization: string | undefined, body: unknown) => {
    const reportedBy = await verify(authorization, NSID);
    await limit(reportedBy);
    let input: Input;
    try {
      input = lexicons.assertValidXrpcInput(NSID, body) as Input;
    } catch (error) {
      throw invalidRequest((error as Error).message);
    }
    if (!reasons.has(input.reasonType)) throw invalidRequest(`this labeler does not take reports of reason ${input.reasonType}; it takes ${[...reasons].join(', ')}`);
    const subject = reportSubject(input.subject);
    if (!policy.LABELER_SUBJECT_TYPES.includes(subject.type)) throw invalidRequest(`this labeler does not take reports on ${subject.type}s`);
    if (subject.type === 'record') {
      const { collection } = new AtUri(subject.uri);
      if (!(policy.LABELER_SUBJECT_COLLECTIONS as readonly string[]).includes(collection))
        throw invalidRequest(`this labeler does not take reports on ${collection} records; it takes ${policy.LABELER_SUBJECT_COLLECTIONS.join(', ')}`);
    }
    let appealed: string[] | null = null;
    if (isAppeal(input.reasonType)) {
      if (ownerOf(subject) !== reportedBy) throw invalidRequest(`only ${ownerOf(subject)} can appeal the labels on ${subject.uri}`);
      const existing = reports.openAppeal(reportedBy, subject.uri);
      if (existing) return { report: existing, input };
      appealed = [...(await labels.activeState([subject.uri])).values()].map((row) => row.val).sort();
      if (!appealed.length) throw invalidRequest(`no label of this labeler is on ${subject.uri}: there is nothing to appeal`);
    }
    const report = reports.add({ reasonType: input.reasonType, reason: input.reason ?? null, subject, reportedBy, createdAt: new Date().toISOString(), appealed });
    metrics?.reportsReceived.inc({ kind: appealed ? 'appeal' : 'report' });
    logger.info({ report: report.id, reasonType: report.reasonType, subject: subject.uri, reportedBy, appealed }, 'report received');
    return { report, input };
  };

  app.post(`/xrpc/${NSID}`, { bodyLimit: REPORT_BODY_LIMIT_BYTES }, async (req) => {
    try {
      const { report, input } = await handle(req.headers.authorization, req.body);
      const output: ComAtprotoModerationCreateReport.OutputSchema = {
        id: report.id,
        reasonType: report.reasonType,
        ...(report.reason !== null ? { reason: report.reason } : {}),
        subject: input.subject,
        reportedBy: report.reportedBy,
        createdAt: report.createdAt,
      };
      return lexicons.assertValidXrpcOutput(NSID, output);
    } catch (error) {
      metrics?.reportsRefused.inc({ error: error instanceof XrpcError ? error.error : 'InternalServerError' });
      throw error;
    }
  });
}
