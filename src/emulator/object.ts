// GET / HEAD Object: the answer of one object version, with COS's headers, preconditions, ranges,
// response-* overrides, traffic limit, storage-class refusals and the injected faults on the way.
import type { IncomingMessage } from 'node:http';
import { CosError, type Exchange, type Headers, header, type ServedBucket } from './answer.js';
import { decideRange, evaluatePreconditions } from './http-rules.js';
import { checkSseCustomer } from './sse-c.js';
import { NULL_VERSION, type ObjectVersion, type PutOptions, type Store } from './store.js';
import { sendBody } from './throttle.js';

const ARCHIVE_CLASSES = new Set(['ARCHIVE', 'DEEP_ARCHIVE']);
const TRAFFIC_LIMIT_MIN = 819_200;
const TRAFFIC_LIMIT_MAX = 838_860_800;
const RESPONSE_OVERRIDES: ReadonlyArray<readonly [string, string]> = [
  ['response-cache-control', 'Cache-Control'],
  ['response-content-disposition', 'Content-Disposition'],
  ['response-content-encoding', 'Content-Encoding'],
  ['response-content-language', 'Content-Language'],
  ['response-content-type', 'Content-Type'],
  ['response-expires', 'Expires'],
];
/** Characters Node (and HTTP) accept in a header value. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Replaces `key`'s content with every byte inverted (fault `etagChangeAfterRequests`). */
function changeContent(store: Store, key: string): void {
  const latest = store.latest(key);
  if (latest === undefined || latest.deleteMarker) return;
  const options: PutOptions = { ...latest.options };
  delete options.etag;
  delete options.lastModified;
  store.put(
    key,
    latest.body.map((byte) => byte ^ 0xff),
    options,
  );
}

/** Answers GET or HEAD Object: faults, traffic limit, version, SSE-C, conditions, range, then the bytes. */
export async function serveObject(served: ServedBucket, exchange: Exchange): Promise<void> {
  const { req, record, res } = exchange;
  const isGet = record.method === 'GET';
  const key = exchange.key.slice(1);
  const params = new Map(exchange.query);
  const faults = served.faultState.faults;

  if (isGet && faults.redirect !== undefined) {
    served.respond(exchange, 302, { Location: faults.redirect.location, 'Content-Length': 0 });
    res.end();
    return;
  }
  const trafficLimit = header(req, 'x-cos-traffic-limit') ?? params.get('x-cos-traffic-limit');
  let bytesPerSecond: number | undefined;
  if (trafficLimit !== undefined) {
    const bits = /^\d+$/.test(trafficLimit) ? Number(trafficLimit) : Number.NaN;
    if (!(bits >= TRAFFIC_LIMIT_MIN && bits <= TRAFFIC_LIMIT_MAX)) {
      throw new CosError(
        400,
        'InvalidArgument',
        `x-cos-traffic-limit must be an integer from ${TRAFFIC_LIMIT_MIN} to ${TRAFFIC_LIMIT_MAX} (bit/s), not "${trafficLimit}".`,
      );
    }
    bytesPerSecond = bits / 8;
  }
  if (isGet && served.faultState.countGet(key)) changeContent(served.store, key);

  const version = lookup(served.store, key, params.get('versionId'));
  if (isGet && ARCHIVE_CLASSES.has(version.storageClass)) {
    throw new CosError(
      403,
      'InvalidObjectState',
      "The operation is not valid for the object's storage class.",
      {
        'x-cos-storage-class': version.storageClass,
      },
    );
  }
  const headers = objectHeaders(version, req, params);

  const outcome = evaluatePreconditions(
    {
      ifMatch: header(req, 'if-match'),
      ifNoneMatch: header(req, 'if-none-match'),
      ifModifiedSince: header(req, 'if-modified-since'),
      ifUnmodifiedSince: header(req, 'if-unmodified-since'),
    },
    version.etag,
    version.lastModified,
  );
  if (outcome.kind === 'failed') {
    throw new CosError(412, 'PreconditionFailed', `Precondition not match (${outcome.because}).`);
  }
  if (outcome.kind === 'not-modified') {
    const notModified: Headers = { ETag: version.etag, 'Last-Modified': headers['Last-Modified'] ?? '' };
    for (const name of ['x-cos-hash-crc64ecma', 'x-cos-version-id', 'x-cos-storage-class']) {
      const value = headers[name];
      if (value !== undefined) notModified[name] = value;
    }
    served.respond(exchange, 304, notModified);
    res.end();
    return;
  }

  const size = version.size;
  let decision = decideRange(header(req, 'range'), size);
  if (faults.rangeIgnored === true) decision = { kind: 'whole' };
  if (decision.kind === 'unsatisfiable') {
    throw new CosError(416, 'InvalidRange', 'The requested range is not satisfiable.', {
      'Content-Range': `bytes */${size}`,
    });
  }
  let start = 0;
  let end = size - 1;
  let status = 200;
  if (decision.kind === 'partial') {
    ({ start, end } = decision);
    status = 206;
    const shift = faults.wrongContentRange === true ? 1 : 0;
    headers['Content-Range'] = `bytes ${start + shift}-${end + shift}/${size}`;
  }
  headers['Content-Length'] = end - start + 1;
  served.respond(exchange, status, headers);
  if (!isGet) {
    res.end();
    return;
  }
  let bytes = version.body.subarray(start, end + 1);
  const corrupt = faults.corruptByteAt;
  if (corrupt !== undefined && corrupt >= start && corrupt <= end) {
    bytes = Uint8Array.from(bytes);
    bytes[corrupt - start] = (bytes[corrupt - start] ?? 0) ^ 0xff;
  }
  await sendBody(res, {
    bytes,
    cut: served.faultState.bodyCut(bytes.length),
    bytesPerSecond,
    signal: served.closing.signal,
    onSent: (count) => served.stats.sent(record, count),
  });
}

function lookup(store: Store, key: string, versionId: string | undefined): ObjectVersion {
  const version = versionId === undefined ? store.latest(key) : store.version(key, versionId);
  if (version === undefined) {
    throw versionId === undefined
      ? new CosError(404, 'NoSuchKey', 'The specified key does not exist.')
      : new CosError(404, 'NoSuchVersion', 'The specified version does not exist.');
  }
  if (version.deleteMarker) {
    const headers: Headers = { 'x-cos-delete-marker': 'true' };
    if (version.versionId !== NULL_VERSION) headers['x-cos-version-id'] = version.versionId;
    throw new CosError(404, 'NoSuchKey', 'The specified key does not exist.', headers);
  }
  return version;
}

/** Headers of a 200/206/HEAD answer, after the SSE-C and response-* checks. */
function objectHeaders(
  version: ObjectVersion,
  req: IncomingMessage,
  params: ReadonlyMap<string, string>,
): Headers {
  const headers: Headers = {
    'Content-Type': version.contentType,
    'Accept-Ranges': 'bytes',
    ETag: version.etag,
    'Last-Modified': version.lastModified.toUTCString(),
  };
  if (version.sendCrc64) headers['x-cos-hash-crc64ecma'] = version.crc64;
  if (version.versionId !== NULL_VERSION) headers['x-cos-version-id'] = version.versionId;
  // Like COS, the storage class header is left out for STANDARD.
  if (version.storageClass !== 'STANDARD') headers['x-cos-storage-class'] = version.storageClass;
  if (version.cacheControl !== undefined) headers['Cache-Control'] = version.cacheControl;
  if (version.contentDisposition !== undefined) headers['Content-Disposition'] = version.contentDisposition;
  if (version.contentEncoding !== undefined) headers['Content-Encoding'] = version.contentEncoding;
  for (const [name, value] of Object.entries(version.metadata)) headers[`x-cos-meta-${name}`] = value;
  Object.assign(headers, checkSseCustomer(version, req));
  for (const [param, name] of RESPONSE_OVERRIDES) {
    const value = params.get(param);
    if (value === undefined) continue;
    if (!HEADER_VALUE.test(value)) {
      throw new CosError(400, 'InvalidArgument', `${param} holds characters a header cannot carry.`);
    }
    headers[name] = value;
  }
  return headers;
}
