import { DidResolver, MemoryCache } from '@atproto/identity';
import { verifyJwt, XRPCError } from '@atproto/xrpc-server';
import { XrpcError } from '../label/xrpc.ts';

/** Checks a request's service-auth token for one method; returns the DID of the account that signed it. */
export type ServiceAuthVerifier = (authorization: string | undefined, lxm: string) => Promise<string>;

export interface ServiceAuthOptions {
  /** The labeler's DID: the token's audience. */
  labelerDid: string;
  /** Where did:plc documents are read from (did:web ones from their host). */
  plcUrl: string;
  /** Milliseconds to wait for a DID document. */
  timeoutMs?: number;
}

const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * Service auth as a PDS proxies a request (`atproto-proxy: <labeler did>#atproto_labeler`): a JWT signed
 * with the reporter's atproto key, checked by `verifyJwt` of @atproto/xrpc-server for audience (the
 * labeler's DID), expiry, method (`lxm`) and signature, the key read from the issuer's DID document
 * (cached; read again once when a signature fails, in case the key was rotated). Every failure is a
 * 401 with the reason xrpc-server gives (BadJwtSignature, JwtExpired, BadJwtAudience, ...).
 */
export function serviceAuthVerifier(options: ServiceAuthOptions): ServiceAuthVerifier {
  const dids = new DidResolver({ plcUrl: options.plcUrl, timeout: options.timeoutMs ?? 3000, didCache: new MemoryCache() });
  const signingKey = async (iss: string, forceRefresh: boolean) => {
    // A token for a report is an account's, never a service's (`did#fragment`).
    if (iss.includes('#')) throw new XrpcError(401, 'BadJwtIss', 'reports are signed by accounts: the token issuer must be a DID without a fragment');
    return dids.resolveAtprotoKey(iss, forceRefresh).catch((error: Error) => {
      throw new XrpcError(401, 'BadJwtIss', `could not read the signing key of ${iss}: ${error.message}`);
    });
  };
  return async (authorization, lxm) => {
    const token = BEARER.exec(authorization ?? '')?.[1];
    if (!token) throw new XrpcError(401, 'AuthenticationRequired', 'a service-auth token is required (Authorization: Bearer …, as a PDS sends when it proxies the request)');
    try {
      return (await verifyJwt(token, options.labelerDid, lxm, signingKey)).iss;
    } catch (error) {
      if (error instanceof XrpcError) throw error;
      if (error instanceof XRPCError) throw new XrpcError(401, error.customErrorName ?? 'AuthenticationRequired', error.message);
      throw new XrpcError(401, 'BadJwt', 'the token could not be read');
    }
  };
}
