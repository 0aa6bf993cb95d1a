// Verifies COS request signatures (q-sign-algorithm=sha1), from the Authorization header or
// from the query string of a pre-signed URL.
import { timingSafeEqual } from 'node:crypto';
import {
  computeSignature,
  cosEncode,
  parseAuthorization,
  SECURITY_TOKEN,
  SIGNATURE_FIELDS,
} from '../cos/sign.js';

export interface EmulatorCredential {
  readonly secretId: string;
  readonly secretKey: string;
  readonly sessionToken?: string | undefined;
}

/** Temporary credentials issued elsewhere (the STS stand-in), looked up per request. */
export interface TemporaryCredentialSource {
  lookup(
    secretId: string,
  ): { readonly credential: EmulatorCredential; readonly expired: boolean } | undefined;
}

export interface AuthPolicy {
  /** Keyed by secretId; empty (and no `temporary`) = no signature is verified (a public demo bucket). */
  readonly credentials: ReadonlyMap<string, EmulatorCredential>;
  /** Accepted too, each only with its session token and until it expires. */
  readonly temporary?: TemporaryCredentialSource | undefined;
  /** Anonymous GET/HEAD/list allowed. */
  readonly publicRead: boolean;
  /** Require host, Range, If-*, x-cos-* headers and every query parameter to be signed. */
  readonly strict: boolean;
  readonly maxSkewSeconds: number;
}

export interface AuthRequest {
  readonly method: string;
  /** Decoded request path, as signed. */
  readonly path: string;
  /** Query parameters as received (decoded), in order. */
  readonly query: ReadonlyArray<readonly [string, string]>;
  /** Lowercased names, as Node gives them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly nowSeconds: number;
}

export type AuthOutcome =
  | { readonly ok: true; readonly signed: boolean }
  | { readonly ok: false; readonly status: number; readonly code: string; readonly message: string };

/** Query parameters that carry a pre-signed URL's signature; they are not themselves signed. */
const SIGNATURE_PARAMS = new Set<string>([...SIGNATURE_FIELDS, SECURITY_TOKEN]);

/**
 * Strict mode (the design's rule): host, Range, every If-* and every x-cos-* header sent must
 * be signed — except x-cos-security-token, which the official SDKs add after signing. A presigned
 * link is held by someone who cannot sign, so only its `host` must be signed: the Range and
 * If-Match of a ranged download, or curl's own headers, ride on it unsigned, as COS lets them.
 */
function mustBeSigned(name: string): boolean {
  if (name === 'x-cos-security-token') return false;
  return name === 'host' || name === 'range' || name.startsWith('if-') || name.startsWith('x-cos-');
}

function headerValue(headers: AuthRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function knowsKeys(policy: AuthPolicy): boolean {
  return policy.credentials.size > 0 || policy.temporary !== undefined;
}

function deny(status: number, code: string, message: string): AuthOutcome {
  return { ok: false, status, code, message };
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function window(value: string): [number, number] | undefined {
  const match = /^(\d+);(\d+)$/.exec(value);
  if (match === null) return undefined;
  return [Number(match[1]), Number(match[2])];
}

/** The Authorization value of a pre-signed URL (signature fields in the query), if any. */
function queryAuthorization(query: AuthRequest['query']): string | undefined {
  const fields = query.filter(([name]) => SIGNATURE_PARAMS.has(name) && name.startsWith('q-'));
  if (fields.length === 0) return undefined;
  return fields.map(([name, value]) => `${name}=${value}`).join('&');
}

/**
 * Decides whether a request may proceed. `wantsSignature` marks requests COS refuses
 * anonymously even on a public bucket (`response-*` parameters).
 */
export function authenticate(request: AuthRequest, policy: AuthPolicy, wantsSignature: boolean): AuthOutcome {
  const header = headerValue(request.headers, 'authorization');
  const fromQuery = header === undefined ? queryAuthorization(request.query) : undefined;
  const authorization = header ?? fromQuery;
  if (authorization === undefined) {
    if (wantsSignature) {
      return deny(
        403,
        'AccessDenied',
        'Anonymous requests may not use response-* parameters; sign the request.',
      );
    }
    if (knowsKeys(policy) && !policy.publicRead) return deny(403, 'AccessDenied', 'Access Denied.');
    return { ok: true, signed: false };
  }
  const parsed = parseAuthorization(authorization);
  if (parsed === undefined || parsed.algorithm !== 'sha1') {
    return deny(
      403,
      'AccessDenied',
      'Authorization is malformed: expected q-sign-algorithm=sha1&q-ak=…&q-signature=….',
    );
  }
  if (!knowsKeys(policy)) return { ok: true, signed: true };
  const temporary = policy.credentials.has(parsed.accessKey)
    ? undefined
    : policy.temporary?.lookup(parsed.accessKey);
  const credential = policy.credentials.get(parsed.accessKey) ?? temporary?.credential;
  if (credential === undefined) {
    return deny(403, 'InvalidAccessKeyId', 'The access key Id format you provided is invalid.');
  }
  if (temporary?.expired) return deny(400, 'ExpiredToken', 'The provided token has expired.');

  const signTime = window(parsed.signTime);
  const keyTime = window(parsed.keyTime);
  if (signTime === undefined || keyTime === undefined) {
    return deny(403, 'AccessDenied', 'q-sign-time and q-key-time must be "start;end" in seconds.');
  }
  const start = Math.max(signTime[0], keyTime[0]);
  const end = Math.min(signTime[1], keyTime[1]);
  const now = request.nowSeconds;
  // A header signature far outside its window means the client's clock is off (it signs as it
  // sends); a link's window is fixed when it is made, so past its end it has simply expired.
  const linkExpired = fromQuery !== undefined && now > end;
  if (now < start - policy.maxSkewSeconds || (!linkExpired && now > end + policy.maxSkewSeconds)) {
    return deny(
      403,
      'RequestTimeTooSkewed',
      'The difference between the request time and the server time is too large.',
    );
  }
  if (now > end) return deny(403, 'AccessDenied', 'Request has expired');

  // Recompute over exactly the headers and parameters the client says it signed.
  const headerList = new Set(parsed.headerList);
  const headers: Record<string, string> = {};
  for (const name of parsed.headerList) {
    const value = headerValue(request.headers, name);
    if (value === undefined) {
      return deny(403, 'SignatureDoesNotMatch', `The signed header "${name}" is missing from the request.`);
    }
    headers[name] = value.trim();
  }
  const paramList = new Set(parsed.urlParamList);
  const params: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [name, value] of request.query) {
    const canonical = cosEncode(name).toLowerCase();
    if (paramList.has(canonical)) {
      params[name] = value;
      seen.add(canonical);
    } else if (policy.strict && !(fromQuery !== undefined && SIGNATURE_PARAMS.has(name))) {
      return deny(
        403,
        'SignatureDoesNotMatch',
        `The query parameter "${name}" is not signed (q-url-param-list).`,
      );
    }
  }
  for (const name of parsed.urlParamList) {
    if (!seen.has(name)) {
      return deny(
        403,
        'SignatureDoesNotMatch',
        `The signed query parameter "${name}" is missing from the request.`,
      );
    }
  }
  if (policy.strict) {
    const unsigned = Object.keys(request.headers).find(
      (name) => (fromQuery === undefined ? mustBeSigned(name) : name === 'host') && !headerList.has(name),
    );
    if (unsigned !== undefined) {
      return deny(
        403,
        'SignatureDoesNotMatch',
        `The header "${unsigned}" is sent but not signed (q-header-list).`,
      );
    }
  }

  const expected = computeSignature(
    credential.secretKey,
    parsed.keyTime,
    request.method,
    request.path,
    params,
    headers,
  );
  if (!sameText(expected.signature, parsed.signature)) {
    return deny(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
  }
  if (credential.sessionToken !== undefined) {
    // A link carries its token in the query; a signed request in a header (or the query).
    const inQuery = request.query.findLast(([name]) => name === SECURITY_TOKEN)?.[1];
    const token =
      fromQuery === undefined ? (headerValue(request.headers, SECURITY_TOKEN) ?? inQuery) : inQuery;
    if (token === undefined || !sameText(token, credential.sessionToken)) {
      return deny(403, 'InvalidToken', 'The provided x-cos-security-token is missing or invalid.');
    }
  }
  return { ok: true, signed: true };
}
