// COS "Request Signature" (q-sign-algorithm=sha1). Pure: no clock, no I/O.
import { createHash, createHmac } from 'node:crypto';
import type { Credentials } from '../base/request.js';

export interface SignableRequest {
  readonly method: string;
  /** The decoded request path, starting with `/` (e.g. `/dir/a b.txt`). */
  readonly path: string;
  /** Query parameters as sent (before encoding). */
  readonly query: Readonly<Record<string, string>>;
  /** Headers as sent; names in any case. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Headers that take part in the signature; every `x-cos-*` header does too. */
const SIGNED_HEADERS = new Set([
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-length',
  'content-md5',
  'content-type',
  'expect',
  'expires',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-unmodified-since',
  'origin',
  'range',
  'transfer-encoding',
]);

/** The fields of a signature, in the order COS writes them (an Authorization value or a link's query). */
export const SIGNATURE_FIELDS = [
  'q-sign-algorithm',
  'q-ak',
  'q-sign-time',
  'q-key-time',
  'q-header-list',
  'q-url-param-list',
  'q-signature',
] as const;

/** The session token of temporary credentials: a header, or a query parameter of a presigned link. */
export const SECURITY_TOKEN = 'x-cos-security-token';

export function isSignedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith('x-cos-') || SIGNED_HEADERS.has(lower);
}

/** encodeURIComponent plus the characters COS also escapes: ! ' ( ) *. */
export function cosEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function canonicalPairs(record: Readonly<Record<string, string>>): Array<[string, string]> {
  return Object.entries(record)
    .map(([k, v]): [string, string] => [cosEncode(k).toLowerCase(), cosEncode(v)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export interface SignatureParts {
  readonly keyTime: string;
  readonly headerList: string;
  readonly urlParamList: string;
  readonly signature: string;
}

/** Computes the signature over exactly the given query and header records. */
export function computeSignature(
  secretKey: string,
  keyTime: string,
  method: string,
  path: string,
  query: Readonly<Record<string, string>>,
  headers: Readonly<Record<string, string>>,
): SignatureParts {
  const params = canonicalPairs(query);
  const heads = canonicalPairs(headers);
  const httpString = [
    method.toLowerCase(),
    path,
    params.map(([k, v]) => `${k}=${v}`).join('&'),
    heads.map(([k, v]) => `${k}=${v}`).join('&'),
    '',
  ].join('\n');
  const signKey = createHmac('sha1', secretKey).update(keyTime).digest('hex');
  const stringToSign = `sha1\n${keyTime}\n${createHash('sha1').update(httpString, 'utf8').digest('hex')}\n`;
  return {
    keyTime,
    headerList: heads.map(([k]) => k).join(';'),
    urlParamList: params.map(([k]) => k).join(';'),
    signature: createHmac('sha1', signKey).update(stringToSign).digest('hex'),
  };
}

/**
 * The `Authorization` header value for a request: signs `host`, every conditional, range and
 * `x-cos-*` header present, and every query parameter.
 */
export function authorization(
  credentials: Credentials,
  request: SignableRequest,
  nowSeconds: number,
  validSeconds = 900,
): string {
  const start = Math.floor(nowSeconds) - 60; // tolerate a little skew in our favour
  const keyTime = `${start};${Math.floor(nowSeconds) + validSeconds}`;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (isSignedHeader(name)) headers[name] = value;
  }
  const parts = computeSignature(
    credentials.secretKey,
    keyTime,
    request.method,
    request.path,
    request.query,
    headers,
  );
  return [
    'q-sign-algorithm=sha1',
    `q-ak=${credentials.secretId}`,
    `q-sign-time=${keyTime}`,
    `q-key-time=${keyTime}`,
    `q-header-list=${parts.headerList}`,
    `q-url-param-list=${parts.urlParamList}`,
    `q-signature=${parts.signature}`,
  ].join('&');
}

export interface ParsedAuthorization {
  readonly algorithm: string;
  readonly accessKey: string;
  readonly signTime: string;
  readonly keyTime: string;
  readonly headerList: readonly string[];
  readonly urlParamList: readonly string[];
  readonly signature: string;
}

/** Parses an `Authorization` header; undefined when a field is missing. */
export function parseAuthorization(value: string): ParsedAuthorization | undefined {
  const fields = new Map<string, string>();
  for (const part of value.split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const get = (k: string): string | undefined => fields.get(k);
  const algorithm = get('q-sign-algorithm');
  const accessKey = get('q-ak');
  const signTime = get('q-sign-time');
  const keyTime = get('q-key-time');
  const headerList = get('q-header-list');
  const urlParamList = get('q-url-param-list');
  const signature = get('q-signature');
  if (
    algorithm === undefined ||
    accessKey === undefined ||
    signTime === undefined ||
    keyTime === undefined ||
    headerList === undefined ||
    urlParamList === undefined ||
    signature === undefined
  ) {
    return undefined;
  }
  const list = (s: string): string[] => (s === '' ? [] : s.split(';'));
  return {
    algorithm,
    accessKey,
    signTime,
    keyTime,
    headerList: list(headerList),
    urlParamList: list(urlParamList),
    signature,
  };
}
