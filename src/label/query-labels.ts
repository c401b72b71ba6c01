import type { Client } from '@libsql/client';
import { toBytes } from '@atcute/cbor';
import type { FastifyReply, FastifyRequest } from 'fastify';

const list = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

class InvalidRequest extends Error {}

/**
 * `com.atproto.label.queryLabels`, replacing @skyware/labeler 0.2.0's handler, which (1) answers with
 * an `id` field the label schema does not have, so strict verifiers reject every label, and (2) matches
 * exact URIs with SQL LIKE: `_` became a wildcard and matching was case-insensitive. Here an exact
 * pattern is compared exactly and `prefix*` by prefix, case-sensitively.
 */
export function queryLabelsHandler(db: Client) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const query = req.query as Record<string, unknown>;
    try {
      const patterns = list(query.uriPatterns);
      const sources = list(query.sources);
      const cursor = Number(query.cursor ?? 0);
      const limit = Number(query.limit ?? 50);
      if (!Number.isInteger(cursor) || cursor < 0) throw new InvalidRequest('Cursor must be a non-negative integer');
      if (!Number.isInteger(limit) || limit < 1 || limit > 250) throw new InvalidRequest('Limit must be an integer between 1 and 250');
      const conditions: string[] = ['id > ?'];
      const args: (string | number)[] = [cursor];
      if (patterns.length && !patterns.includes('*')) {
        const clauses = patterns.map((pattern) => {
          const star = pattern.indexOf('*');
          if (star === -1) {
            args.push(pattern);
            return 'uri = ?';
          }
          if (star !== pattern.length - 1) throw new InvalidRequest('Only trailing wildcards are supported in uriPatterns');
          const prefix = pattern.slice(0, -1);
          args.push(prefix.length, prefix);
          return 'substr(uri, 1, ?) = ?';
        });
        conditions.push(`(${clauses.join(' OR ')})`);
      }
      if (sources.length) {
        conditions.push(`src IN (${sources.map(() => '?').join(', ')})`);
        args.push(...sources);
      }
      args.push(limit);
      const result = await db.execute({ sql: `SELECT * FROM labels WHERE ${conditions.join(' AND ')} ORDER BY id ASC LIMIT ?`, args });
      const labels = result.rows.map((row) => ({
        ver: 1,
        src: String(row.src),
        uri: String(row.uri),
        ...(row.cid ? { cid: String(row.cid) } : {}),
        val: String(row.val),
        neg: Boolean(row.neg),
        cts: String(row.cts),
        ...(row.exp ? { exp: String(row.exp) } : {}),
        sig: toBytes(new Uint8Array(row.sig as ArrayBuffer)),
      }));
      const last = result.rows[result.rows.length - 1];
      await reply.send({ cursor: String(last ? Number(last.id) : cursor), labels });
    } catch (error) {
      if (!(error instanceof InvalidRequest)) throw error;
      await reply.status(400).send({ error: 'InvalidRequest', message: error.message });
    }
  };
}
