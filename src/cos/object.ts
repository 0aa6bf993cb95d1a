// HEAD / GET Object: the request headers a download sends, and the object identity COS answers.
import { createHash } from 'node:crypto';
import type { Conditions, ResponseOverrides } from '../config/options.js';
import { type CosClient, type CosResponse, header } from './client.js';
import { CosError } from './errors.js';

/** What identifies one object version: the basis of every If-Match and every checkpoint. */
export interface ObjectInfo {
  readonly key: string;
  readonly etag: string;
  readonly size: number;
  /** As COS sent it (an HTTP date). */
  readonly lastModified: string;
  /** Decimal CRC-64/XZ of the whole object; absent on old objects. */
  readonly crc64?: string;
  readonly versionId?: string;
  readonly storageClass: string;
}

/** Headers every request for one object's bytes carries. */
export interface ObjectAccess {
  readonly versionId?: string;
  /** Base64 AES-256 key (SSE-C). */
  readonly sseCustomerKey?: string;
  /** bit/s, `x-cos-traffic-limit` (GET only). */
  readonly trafficLimit?: number;
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

/** Reads the identity of an object from HEAD or GET response headers. */
export function objectInfoFrom(key: string, response: CosResponse, size: number): ObjectInfo {
  const etag = header(response, 'etag');
  if (etag === undefined) {
    throw new CosError(
      { status: response.status, code: 'MissingETag', message: 'the response has no ETag header' },
      `HEAD '${key}'`,
    );
  }
  const crc64 = header(response, 'x-cos-hash-crc64ecma');
  const versionId = header(response, 'x-cos-version-id');
  return {
    key,
    etag,
    size,
    lastModified: header(response, 'last-modified') ?? '',
    ...(crc64 === undefined ? {} : { crc64 }),
    ...(versionId === undefined || versionId === 'null' ? {} : { versionId }),
    storageClass: header(response, 'x-cos-storage-class') ?? 'STANDARD',
  };
}

/** Parses a strict non-negative decimal Content-Length; undefined when absent or absurd. */
export function contentLength(response: CosResponse): number | undefined {
  const text = header(response, 'content-length');
  if (text === undefined || !/^\d{1,16}$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

export type HeadResult =
  | { readonly kind: 'found'; readonly info: ObjectInfo }
  | { readonly kind: 'not-modified' };

/** HEAD Object with the user's conditions (304 → not-modified; 412 and the rest throw CosError). */
export async function headObject(
  client: CosClient,
  key: string,
  access: ObjectAccess,
  conditions: Conditions,
  signal?: AbortSignal,
): Promise<HeadResult> {
  const response = await client.retrying(`HEAD '${key}'`, signal, () =>
    client.send({
      method: 'HEAD',
      key,
      query: versionQuery(access.versionId),
      headers: { ...conditionHeaders(conditions), ...sseHeaders(access.sseCustomerKey) },
      accept: [304],
      ...(signal ? { signal } : {}),
    }),
  );
  response.body.resume();
  if (response.status === 304) return { kind: 'not-modified' };
  const size = contentLength(response);
  if (size === undefined) {
    throw new CosError(
      {
        status: response.status,
        code: 'BadContentLength',
        message: 'HEAD answered without a valid Content-Length',
      },
      `HEAD '${key}'`,
    );
  }
  return { kind: 'found', info: objectInfoFrom(key, response, size) };
}
