import { lexicons } from '@atproto/api';

/** The one error type of our XRPC routes: an HTTP status and the XRPC error name, answered as `{error, message}`. */
export class XrpcError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

export const invalidRequest = (message: string) => new XrpcError(400, 'InvalidRequest', message);

type ParamType = 'string' | 'integer' | 'boolean' | 'unknown';
type ParamDef = { type: ParamType } | { type: 'array'; items: { type: ParamType } };

const INTEGER = /^-?\d+$/;

/** One query-string value as the lexicon types it; an integer must be written as one (`1e2` is not). */
function decode(name: string, type: ParamType, raw: string): unknown {
  if (type === 'integer') {
    if (!INTEGER.test(raw)) throw invalidRequest(`${name} must be an integer`);
    return Number(raw);
  }
  if (type === 'boolean') {
    if (raw !== 'true' && raw !== 'false') throw invalidRequest(`${name} must be true or false`);
    return raw === 'true';
  }
  return raw;
}

/**
 * The query parameters of an XRPC method, decoded by the types its lexicon gives them and validated
 * against it (required parameters, formats such as `did`, minimum and maximum): anything else is an
 * InvalidRequest naming the parameter. Parameters the lexicon does not define are ignored.
 */
export function xrpcParams<T>(nsid: string, query: Record<string, string | string[] | undefined>): T {
  const def = lexicons.getDefOrThrow(nsid, ['query', 'subscription', 'procedure']) as { parameters?: { properties: Record<string, ParamDef> } };
  const params: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(def.parameters?.properties ?? {})) {
    const raw = query[name];
    if (raw === undefined) continue;
    const values = Array.isArray(raw) ? raw : [raw];
    if (property.type === 'array') params[name] = values.map((v) => decode(name, property.items.type, v));
    else if (values.length > 1) throw invalidRequest(`${name} must be given once`);
    else params[name] = decode(name, property.type, values[0]!);
  }
  try {
    return lexicons.assertValidXrpcParams(nsid, params) as T;
  } catch (error) {
    throw invalidRequest((error as Error).message);
  }
}
