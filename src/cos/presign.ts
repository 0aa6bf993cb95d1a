// Presigned GET links: the COS "Request Signature" carried in the query string instead of the
// Authorization header, as the console's "Copy Temporary Link" makes them. Pure: the time is given.
import type { Credentials, ResponseOverrides } from '../base/request.js';
import { overrideQuery, versionQuery } from './object.js';
import { computeSignature, cosEncode, SECURITY_TOKEN, SIGNATURE_FIELDS } from './sign.js';

/** The console's "Copy Temporary Link" validity. */
export const DEFAULT_LINK_SECONDS = 3600;

/** Seconds the window opens before `now`, so a server whose clock is a little behind still accepts the link. */
export const LINK_EARLY_SECONDS = 60;

export interface PresignRequest {
  /** The resolved base URL (`Connection.endpoint`): its host is signed, its path (if any) prefixes the key. */
  readonly endpoint: string;
  readonly credentials: Credentials;
  /** The object key, as stored (not encoded). */
  readonly key: string;
  readonly versionId?: string | undefined;
  /** `response-*` parameters: the headers the download answers with (e.g. a file name). */
  readonly responseOverrides?: ResponseOverrides | undefined;
  /** `x-cos-traffic-limit` in bit/s, already validated; applies to every request made with the link. */
  readonly trafficLimit?: number | undefined;
  /** Validity in whole seconds from `nowMs`; default DEFAULT_LINK_SECONDS. */
  readonly expiresSeconds?: number;
}

export interface PresignedUrl {
  /** The link. A credential: never log it (see `redactUrl`). */
  readonly url: string;
  /** The end of the signature's window: after this second COS answers 403 "Request has expired". */
  readonly expiresAt: Date;
}

/** The query parameters a link carries besides its signature, in the order they appear. */
function objectParams(request: PresignRequest): Record<string, string> {
  return {
    ...versionQuery(request.versionId),
    ...overrideQuery(request.responseOverrides ?? {}),
    ...(request.trafficLimit === undefined ? {} : { 'x-cos-traffic-limit': String(request.trafficLimit) }),
  };
}

/**
 * A presigned GET link to `key`, valid from a minute before `nowMs` (ms since the epoch) for
 * `expiresSeconds`. Signs the `host` of the endpoint and every object parameter (`versionId`,
 * `response-*`, `x-cos-traffic-limit`), so none can be changed or dropped; temporary credentials
 * add `x-cos-security-token` (unsigned, as COS and the SDKs have it). Throws RangeError on a key or
 * validity no input parser lets through.
 */
export function presignObjectUrl(request: PresignRequest, nowMs: number): PresignedUrl {
  const seconds = request.expiresSeconds ?? DEFAULT_LINK_SECONDS;
  if (!Number.isSafeInteger(seconds) || seconds < 1) {
    throw new RangeError(`expiresSeconds must be a whole number of seconds, at least 1: ${seconds}`);
  }
  if (request.key === '') throw new RangeError('a link needs an object key');
  if (!Number.isFinite(nowMs)) throw new RangeError(`nowMs must be a time: ${nowMs}`);
  const endpoint = new URL(request.endpoint);
  const basePath = endpoint.pathname.replace(/\/+$/, '');
  const now = Math.floor(nowMs / 1000);
  const keyTime = `${now - LINK_EARLY_SECONDS};${now + seconds}`;
  const params = objectParams(request);
  const { credentials } = request;
  const parts = computeSignature(
    credentials.secretKey,
    keyTime,
    'GET',
    `${basePath}/${request.key}`,
    params,
    { host: endpoint.host },
  );
  const fields: Record<(typeof SIGNATURE_FIELDS)[number], string> = {
    'q-sign-algorithm': 'sha1',
    'q-ak': credentials.secretId,
    'q-sign-time': keyTime,
    'q-key-time': keyTime,
    'q-header-list': parts.headerList,
    'q-url-param-list': parts.urlParamList,
    'q-signature': parts.signature,
  };
  const query: Array<[string, string]> = SIGNATURE_FIELDS.map((name) => [name, fields[name]]);
  if (credentials.sessionToken !== undefined) query.push([SECURITY_TOKEN, credentials.sessionToken]);
  query.push(...Object.entries(params));
  const path = `${basePath}/${request.key.split('/').map(cosEncode).join('/')}`;
  const search = query.map(([name, value]) => `${cosEncode(name)}=${cosEncode(value)}`).join('&');
  return {
    url: `${endpoint.origin}${path}?${search}`,
    expiresAt: new Date((now + seconds) * 1000),
  };
}

/** When a COS link is valid: from `start` through `end`, to the second. */
export interface LinkWindow {
  /** The first second it is accepted (ours open a minute before they are made). */
  readonly start: Date;
  /** The last second it is accepted; after it, COS answers 403 "Request has expired". */
  readonly end: Date;
}

/**
 * The time window of a COS presigned link (the overlap of `q-sign-time` and `q-key-time`), or
 * undefined when the URL carries no COS signature: what a download says when a link has expired.
 */
export function linkWindow(url: string): LinkWindow | undefined {
  let params: URLSearchParams;
  try {
    params = new URL(url).searchParams;
  } catch {
    return undefined;
  }
  const times = ['q-sign-time', 'q-key-time'].map((name) => /^(\d+);(\d+)$/.exec(params.get(name) ?? ''));
  if (times.some((match) => match === null)) return undefined;
  const starts = times.map((match) => Number(match?.[1]));
  const ends = times.map((match) => Number(match?.[2]));
  return { start: new Date(Math.max(...starts) * 1000), end: new Date(Math.min(...ends) * 1000) };
}
