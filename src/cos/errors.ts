// Typed COS failures: the service's XML errors, and what goes wrong on the wire.
import { XMLParser } from 'fast-xml-parser';
import { describeNetworkFailure, networkCode } from '../base/network-errors.js';

/** The fields of a COS error answer. */
export interface CosErrorDetails {
  /** The HTTP status, e.g. 403. */
  readonly status: number;
  /** COS's error code, e.g. `NoSuchKey`, `SignatureDoesNotMatch`, `InvalidObjectState`. */
  readonly code: string;
  /** COS's message (or ours, for an answer without an XML body). */
  readonly message: string;
  /** `x-cos-request-id`: quote it to Tencent Cloud support. */
  readonly requestId?: string | undefined;
  /** The TraceId of the error body. */
  readonly traceId?: string | undefined;
  /** The server's `Date` header, for clock-skew correction. */
  readonly serverDate?: string | undefined;
  /** The `Location` header of a redirect (never followed), as COS sent it. */
  readonly location?: string | undefined;
  /** The `Retry-After` header of a 429 or 503: seconds, or an HTTP date. */
  readonly retryAfter?: string | undefined;
}

/** An error answer from COS (or an unexpected status). The message never holds a signed URL. */
export class CosError extends Error {
  /** The HTTP status, e.g. 403. */
  readonly status: number;
  /** COS's error code, e.g. `NoSuchKey`, `SignatureDoesNotMatch`, `InvalidObjectState`. */
  readonly code: string;
  /** COS's own message, without the context this error's `message` adds. */
  readonly cosMessage: string;
  /** `x-cos-request-id`: quote it to Tencent Cloud support. */
  readonly requestId: string | undefined;
  /** The TraceId of the error body. */
  readonly traceId: string | undefined;
  /** The server's `Date` header. */
  readonly serverDate: string | undefined;
  /** The `Location` header of a redirect (never followed), as COS sent it. */
  readonly location: string | undefined;
  /** The `Retry-After` the server sent with a 429 or 503 (seconds, or an HTTP date). */
  readonly retryAfter: string | undefined;

  constructor(details: CosErrorDetails, context: string, hint?: string) {
    const id = details.requestId ? ` (request id ${details.requestId})` : '';
    super(`${context}: ${details.status} ${details.code}: ${details.message}${id}${hint ? `. ${hint}` : ''}`);
    this.name = 'CosError';
    this.status = details.status;
    this.code = details.code;
    this.cosMessage = details.message;
    this.requestId = details.requestId;
    this.traceId = details.traceId;
    this.serverDate = details.serverDate;
    this.location = details.location;
    this.retryAfter = details.retryAfter;
  }

  /** The same failure told differently (e.g. naming the version or the condition that failed). */
  rephrase(message: string, context: string, hint?: string): CosError {
    return new CosError({ ...this.details(), message }, context, hint);
  }

  /** The fields of the answer, as one object. */
  details(): CosErrorDetails {
    return {
      status: this.status,
      code: this.code,
      message: this.cosMessage,
      requestId: this.requestId,
      traceId: this.traceId,
      serverDate: this.serverDate,
      location: this.location,
      retryAfter: this.retryAfter,
    };
  }
}

/** What to do about the failures users meet most; appended to the message. */
export function hintFor(
  details: { readonly status: number; readonly code: string; readonly location?: string | undefined },
  anonymous: boolean,
): string | undefined {
  if (details.status >= 300 && details.status < 400 && details.status !== 304) {
    return (
      `COS redirected to ${safeLocation(details.location)} (an origin-pull redirect: the object is not in the bucket). ` +
      'Redirects are never followed, as following them blindly allows server-side request forgery; ' +
      'fetch the object from the origin, or let COS pull it in first.'
    );
  }
  switch (details.code) {
    case 'InvalidObjectState':
      return 'The object is in ARCHIVE or DEEP_ARCHIVE storage: restore it first (console, or POST Object restore), then download it.';
    case 'SignatureDoesNotMatch':
      return 'Check secret-id and secret-key (and session-token for temporary credentials).';
    case 'InvalidAccessKeyId':
      return 'The secret-id is not known to COS: check it.';
    case 'ExpiredToken':
      return "The temporary credentials have expired: give fresh ones (keyless credentials renew themselves before they expire; check the machine's clock).";
    case 'AccessDenied':
      return anonymous
        ? 'No credentials were given, so the request was anonymous: set secret-id and secret-key, or make the bucket public-read.'
        : 'The credentials may not read this object: grant cos:GetObject, cos:HeadObject and cos:GetBucket.';
    case 'NoSuchBucket':
      return 'Check bucket (BucketName-APPID) and region.';
    case 'RequestTimeTooSkewed':
      return "The machine's clock is far off and could not be corrected: sync it (NTP).";
    default:
      return undefined;
  }
}

/** A redirect target without query or credentials, safe to print. */
export function safeLocation(location: string | undefined): string {
  if (location === undefined) return 'an unstated location';
  try {
    const url = new URL(location);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return 'an unparsable location';
  }
}

/** A response that broke the protocol: wrong status for a range, a bad Content-Range, a short body. */
export class ProtocolError extends Error {
  /** Whether a retry may help (a short body may; a wrong status for a range does not). */
  readonly transient: boolean;
  constructor(message: string, options: { transient: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProtocolError';
    this.transient = options.transient;
  }
}

/** What the server sent is not a well-formed HTTP/1.1 response; the message does not name the request. */
export class MalformedResponse extends ProtocolError {}

/** The connection ended before the response did (a transient failure: the request may be retried). */
export class ClosedEarly extends MalformedResponse {
  constructor() {
    super('the server closed the connection before the response ended', { transient: true });
  }
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  processEntities: true,
  ignoreDeclaration: true,
});

const STATUS_CODES: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  403: 'AccessDenied',
  404: 'NoSuchKey',
  405: 'MethodNotAllowed',
  412: 'PreconditionFailed',
  416: 'InvalidRange',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

const MAX_ERROR_BODY = 64 * 1024;

/** Reads Code/Message/RequestId/TraceId from a COS XML error body; falls back to the status. */
export function parseErrorBody(
  status: number,
  body: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): CosErrorDetails {
  const header = (name: string): string | undefined => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  let code: string | undefined;
  let message: string | undefined;
  let requestId = header('x-cos-request-id');
  let traceId = header('x-cos-trace-id');
  if (body.length > 0 && body.length <= MAX_ERROR_BODY && body.includes('<Error')) {
    try {
      const parsed = parser.parse(body) as { Error?: Record<string, unknown> };
      const error = parsed.Error;
      if (error && typeof error === 'object') {
        const text = (v: unknown): string | undefined =>
          typeof v === 'string' && v.length > 0 ? v.replace(/[\r\n]+/g, ' ').slice(0, 500) : undefined;
        code = text(error.Code);
        message = text(error.Message);
        requestId = text(error.RequestId) ?? requestId;
        traceId = text(error.TraceId) ?? traceId;
      }
    } catch {
      // Not XML after all: keep the status-based code.
    }
  }
  return {
    status,
    code: code ?? STATUS_CODES[status] ?? `HTTP${status}`,
    message: message ?? `HTTP status ${status}`,
    requestId,
    traceId,
    serverDate: header('date'),
    location: header('location'),
    retryAfter: header('retry-after'),
  };
}

/** Milliseconds a `Retry-After` value (seconds, or an HTTP date) asks to wait; undefined when garbled. */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  const date = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)
    ? Date.parse(text)
    : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** True for failures worth another attempt: network drops, timeouts, 429, 5xx, SlowDown. */
export function isTransient(error: unknown): boolean {
  if (error instanceof CosError) {
    return error.status === 429 || error.status >= 500 || error.code === 'SlowDown';
  }
  // A ProtocolError, or any error that says whether it is worth another attempt (a CredentialsError).
  const declared = error instanceof Error ? (error as { transient?: unknown }).transient : undefined;
  if (typeof declared === 'boolean') return declared;
  if (error instanceof Error) {
    if (error.name === 'AbortError') return false;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code)) return true;
    if (error.cause !== undefined && error.cause !== error) return isTransient(error.cause);
  }
  return false;
}

const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The server's TLS certificate could not be verified. Never transient, never skipped. */
export class TlsError extends Error {
  /** Node's certificate error code, e.g. `SELF_SIGNED_CERT_IN_CHAIN`. */
  readonly code: string;

  constructor(code: string, message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'TlsError';
    this.code = code;
  }

  /** A TlsError for a certificate failure (of `error` or its cause) at `origin`; undefined otherwise. */
  static from(error: unknown, origin: string, context: string): TlsError | undefined {
    for (let e = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'string' && CERTIFICATE_CODES.has(code)) {
        return new TlsError(
          code,
          `${context}: the TLS certificate of ${origin} could not be verified (${e.message}; ${code}). ` +
            'Certificate checks cannot be turned off. Fix: use the endpoint’s proper host name; ' +
            'if a private CA signs it (or a TLS-inspecting proxy re-signs it), trust that CA with ' +
            "'ca-cert' (--ca-cert) or NODE_EXTRA_CA_CERTS=/path/to/ca.pem",
          error,
        );
      }
    }
    return undefined;
  }
}

/**
 * The server could not be reached, or the connection failed before an answer: refused, a host name
 * that does not resolve, a timeout, a reset. The message names the host and what to check; `code`
 * is Node's or undici's (`ECONNREFUSED`, `ENOTFOUND`, …) and `cause` the original error.
 */
export class NetworkError extends Error {
  /** `'NetworkError'`. */
  override readonly name = 'NetworkError';
  /** Node's or undici's code, e.g. `ECONNREFUSED`. */
  readonly code: string;

  /** Made by the HTTP client; exported for `instanceof` and `code`. */
  constructor(code: string, message: string, cause: unknown) {
    super(message, { cause });
    this.code = code;
  }

  /** A NetworkError for a connection failure of `error` at `origin`; undefined for anything else. */
  static from(error: unknown, origin: string, context: string): NetworkError | undefined {
    const code = networkCode(error);
    const wording = describeNetworkFailure(error, origin);
    if (code === undefined || wording === undefined) return undefined;
    return new NetworkError(code, `${context}: ${wording}`, error);
  }
}
