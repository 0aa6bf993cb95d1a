// HEAD / GET Object: the request headers a download sends, and the object identity COS answers.
import { createHash } from 'node:crypto';
import type { Conditions, ResponseOverrides } from '../base/request.js';
import { type CosClient, type CosResponse, header } from './client.js';
import { CosError, isTransient, MalformedResponse, ProtocolError } from './errors.js';

/** What identifies one object version: the basis of every If-Match and every checkpoint. */
export interface ObjectInfo {
  readonly key: string;
  readonly etag: string;
  readonly size: number;
  /** As COS sent it (an HTTP date). */
  readonly lastModified: string;
  /** Decimal CRC-64/XZ of the whole object; absent on old objects. */
  readonly crc64?: string | undefined;
  readonly versionId?: string | undefined;
  readonly storageClass: string;
}

/** Headers every request for one object's bytes carries. */
export interface ObjectAccess {
  readonly versionId?: string | undefined;
  /** Base64 AES-256 key (SSE-C). */
  readonly sseCustomerKey?: string | undefined;
  /** bit/s, `x-cos-traffic-limit` (GET only). */
  readonly trafficLimit?: number | undefined;
}

export function sseHeaders(key: string | undefined): Record<string, string> {
  if (key === undefined) return {};
  const raw = Buffer.from(key, 'base64');
  return {
    'x-cos-server-side-encryption-customer-algorithm': 'AES256',
    'x-cos-server-side-encryption-customer-key': key,
    'x-cos-server-side-encryption-customer-key-MD5': createHash('md5').update(raw).digest('base64'),
  };
}

/** The headers of `access` on a GET of the object's bytes: SSE-C, and `x-cos-traffic-limit`. */
export function accessHeaders(
  access: Pick<ObjectAccess, 'sseCustomerKey' | 'trafficLimit'>,
): Record<string, string> {
  const headers = sseHeaders(access.sseCustomerKey);
  if (access.trafficLimit !== undefined) headers['x-cos-traffic-limit'] = String(access.trafficLimit);
  return headers;
}

export function conditionHeaders(conditions: Conditions): Record<string, string> {
  const headers: Record<string, string> = {};
  if (conditions.ifMatch !== undefined) headers['if-match'] = conditions.ifMatch;
  if (conditions.ifNoneMatch !== undefined) headers['if-none-match'] = conditions.ifNoneMatch;
  if (conditions.ifModifiedSince !== undefined) {
    headers['if-modified-since'] = conditions.ifModifiedSince.toUTCString();
  }
  if (conditions.ifUnmodifiedSince !== undefined) {
    headers['if-unmodified-since'] = conditions.ifUnmodifiedSince.toUTCString();
  }
  return headers;
}

const OVERRIDE_PARAMS: ReadonlyArray<[keyof ResponseOverrides, string]> = [
  ['cacheControl', 'response-cache-control'],
  ['contentDisposition', 'response-content-disposition'],
  ['contentEncoding', 'response-content-encoding'],
  ['contentLanguage', 'response-content-language'],
  ['contentType', 'response-content-type'],
  ['expires', 'response-expires'],
];

export function overrideQuery(overrides: ResponseOverrides): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [field, param] of OVERRIDE_PARAMS) {
    const value = overrides[field];
    if (value !== undefined) query[param] = value;
  }
  return query;
}

export function versionQuery(versionId: string | undefined): Record<string, string> {
  return versionId === undefined ? {} : { versionId };
}

/** The largest object COS holds: a multipart upload of 10,000 parts of at most 5 GiB. */
export const MAX_OBJECT_SIZE = 10_000 * 5 * 1024 ** 3;

const MAX_CRC64 = (1n << 64n) - 1n;

/** True for `x-cos-hash-crc64ecma` as COS writes it: decimal digits, at most 2^64-1. */
export function isCrc64Header(text: string): boolean {
  return /^[0-9]+$/.test(text) && text.replace(/^0+/, '').length <= 20 && BigInt(text) <= MAX_CRC64;
}

/** A header value as a message may show it: cut short (header values hold no line breaks). */
function shownHeader(value: string): string {
  return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
}

/**
 * undici's refusal of a response that breaks HTTP/1.1 (a Content-Length of -1 or `abc`, a body
 * shorter than it), told as a ProtocolError naming the request; any other error is returned as is.
 */
export function namingRequest(error: unknown, what: string): unknown {
  if (!(error instanceof Error)) return error;
  if (error instanceof MalformedResponse) {
    return new ProtocolError(`${what}: ${error.message}`, { transient: error.transient, cause: error });
  }
  const code = (error as { code?: unknown }).code;
  if (error.name !== 'HTTPParserError' && code !== 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') return error;
  return new ProtocolError(`${what}: the response breaks HTTP/1.1 (${error.message})`, {
    transient: isTransient(error),
    cause: error,
  });
}

/** Reads the identity of an object from HEAD or GET response headers. */
export function objectInfoFrom(key: string, response: CosResponse, size: number): ObjectInfo {
  const etag = header(response, 'etag');
  if (etag === undefined || etag.trim() === '') {
    throw new CosError(
      { status: response.status, code: 'MissingETag', message: 'the response has no ETag header' },
      `HEAD '${key}'`,
    );
  }
  const crc64 = header(response, 'x-cos-hash-crc64ecma');
  if (crc64 !== undefined && !isCrc64Header(crc64)) {
    throw new CosError(
      {
        status: response.status,
        code: 'BadCrc64',
        message: `x-cos-hash-crc64ecma is ${shownHeader(crc64)}, not a CRC-64 (decimal, at most 2^64-1), so the bytes could not be checked`,
      },
      `HEAD '${key}'`,
    );
  }
  const versionId = header(response, 'x-cos-version-id');
  return {
    key,
    etag,
    size,
    lastModified: header(response, 'last-modified') ?? '',
    crc64,
    versionId: versionId === 'null' ? undefined : versionId,
    storageClass: header(response, 'x-cos-storage-class') ?? 'STANDARD',
  };
}

/** Parses a strict non-negative decimal Content-Length; undefined when absent or absurd (past MAX_OBJECT_SIZE). */
export function contentLength(response: CosResponse): number | undefined {
  const text = header(response, 'content-length');
  if (text === undefined || !/^\d{1,16}$/.test(text)) return undefined;
  const value = Number(text);
  return value <= MAX_OBJECT_SIZE ? value : undefined;
}

export type HeadResult =
  | { readonly kind: 'found'; readonly info: ObjectInfo }
  | { readonly kind: 'not-modified' };

/** HEAD Object with the user's conditions (304 → not-modified; 412 and the rest throw CosError). */
export async function headObject(
  client: Pick<CosClient, 'send' | 'retrying'>,
  key: string,
  access: ObjectAccess,
  conditions: Conditions,
  signal?: AbortSignal,
): Promise<HeadResult> {
  const response = await client.retrying(`HEAD '${key}'`, signal, () =>
    client
      .send({
        method: 'HEAD',
        key,
        query: versionQuery(access.versionId),
        headers: { ...conditionHeaders(conditions), ...sseHeaders(access.sseCustomerKey) },
        accept: [304],
        signal,
      })
      .catch((error: unknown) => {
        throw namingRequest(error, `HEAD '${key}'`);
      }),
  );
  response.body.resume();
  if (response.status === 304) return { kind: 'not-modified' };
  const size = contentLength(response);
  if (size === undefined) {
    const stated = header(response, 'content-length');
    throw new CosError(
      {
        status: response.status,
        code: 'BadContentLength',
        message: `HEAD answered ${stated === undefined ? 'no Content-Length' : `Content-Length ${shownHeader(stated)}`}, not a size COS can hold (0..${MAX_OBJECT_SIZE} bytes)`,
      },
      `HEAD '${key}'`,
    );
  }
  return { kind: 'found', info: objectInfoFrom(key, response, size) };
}
