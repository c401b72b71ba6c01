import type { ComAtprotoLabelQueryLabels } from '@atproto/api';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.ts';
import { wireLabel } from './label.ts';
import type { LabelStore } from './store.ts';
import { invalidRequest, xrpcParams } from './xrpc.ts';

const NSID = 'com.atproto.label.queryLabels';

/**
 * `com.atproto.label.queryLabels` from the label log. Each URI pattern is a full URI, compared exactly
 * and case-sensitively, or a prefix ending in `*` (`*` alone: every label); the cursor is the id of the
 * last label returned, given while labels are returned.
 */
export function queryLabelsRoute(app: FastifyInstance, store: LabelStore, metrics?: Metrics): void {
  app.get(`/xrpc/${NSID}`, async (req) => {
    const params = xrpcParams<ComAtprotoLabelQueryLabels.QueryParams>(NSID, req.query as Record<string, string | string[]>);
    const uris: string[] = [];
    const prefixes: string[] = [];
    for (const pattern of params.uriPatterns) {
      const star = pattern.indexOf('*');
      if (star === -1) uris.push(pattern);
      else if (star === pattern.length - 1) prefixes.push(pattern.slice(0, -1));
      else throw invalidRequest(`invalid pattern ${JSON.stringify(pattern)}: only a trailing * is supported`);
    }
    if (params.cursor !== undefined && !/^\d+$/.test(params.cursor)) throw invalidRequest('cursor must be one this service returned');
    const labels = await store.query({ uris, prefixes, sources: params.sources ?? [], after: Number(params.cursor ?? 0), limit: params.limit ?? 50 });
    const last = labels[labels.length - 1];
    metrics?.labelsServed.inc({ method: 'queryLabels' }, labels.length);
    return { ...(last ? { cursor: String(last.id) } : {}), labels: labels.map(wireLabel) };
  });
}
