// The COS emulator: one bucket over node:http, speaking the COS dialect of GET/HEAD Object,
// HEAD Bucket and GET Bucket (ListObjects), with signature checks and injectable faults.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AuthPolicy,
  authenticate,
  type EmulatorCredential,
  type TemporaryCredentialSource,
} from './auth.js';
import { FaultState, type Faults, type RequestKind } from './faults.js';
import { decideRange, evaluatePreconditions } from './http-rules.js';
import {
  type RequestRecord,
  recordHeaders,
  recordQuery,
  redactAuthorization,
  type Stats,
  StatsRecorder,
} from './stats.js';
import {
  compareKeys,
  loadFolder,
  NULL_VERSION,
  type ObjectVersion,
  type PutOptions,
  publicView,
  Store,
  type StoredVersion,
} from './store.js';
import { sendBody } from './throttle.js';
import { errorXml, type ListEntry, listBucketXml } from './xml.js';

export interface EmulatorOptions {
  /** `BucketName-APPID`; default `examplebucket-1250000000`. */
  bucket?: string;
  /** Default `ap-guangzhou`. */
  region?: string;
  /**
   * Keys the emulator accepts. Empty or absent: the bucket is public-read and signatures are
   * not verified (any well-formed signature counts as signed, e.g. for `response-*`).
   */
  credentials?: ReadonlyArray<EmulatorCredential>;
  /** Temporary credentials accepted too (e.g. `startStsEmulator().issued`), each with its token until it expires. */
  temporaryCredentials?: TemporaryCredentialSource;
  /** Anonymous GET/HEAD/list allowed even when credentials exist; signed requests are still verified. */
  publicRead?: boolean;
  /**
   * Default true: host, Range, If-* and x-cos-* headers sent (except x-cos-security-token) and
   * every query parameter must be signed — the rule cos-download follows. False: only what the
   * client lists is checked, as real COS does.
   */
  strictSigning?: boolean;
  /** Serve the files of this folder as objects (read once, at start). */
  root?: string;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** The emulator's clock is `Date.now() + clockOffsetMs` (signature windows, Date, Last-Modified). */
  clockOffsetMs?: number;
  /** Allowed distance outside a signature's time window before RequestTimeTooSkewed; default 900. */
  maxSkewSeconds?: number;
}

export interface Emulator {
  /** The endpoint, e.g. `http://127.0.0.1:41234`: a plain URL, used as is by clients. */
  readonly url: string;
  readonly bucket: string;
  readonly region: string;
  /** Stores an object: a new version when versioning is on, else it replaces the key. */
  put(key: string, body: Uint8Array | string, options?: PutOptions): StoredVersion;
  /** A delete marker when versioning is on, else removes the key. */
  remove(key: string): void;
  setVersioning(enabled: boolean): void;
  /** Every version of `key`, newest first (delete markers included). */
  versions(key: string): StoredVersion[];
  /** Live fault switches, read on every request: assign fields directly or use `setFaults`. */
  readonly faults: Faults;
  /** Merges `partial` into `faults` and restarts the seeded PRNG and the per-key GET counters. */
  setFaults(partial: Faults): void;
  /** Turns every fault off (and restarts the PRNG and counters). */
  clearFaults(): void;
  /** Moves the emulator's clock: now = `Date.now() + offsetMs`. */
  setClockOffset(offsetMs: number): void;
  readonly stats: Stats;
  /** Closes the server and destroys open sockets (stalled and throttled responses too). */
  close(): Promise<void>;
}

const ARCHIVE_CLASSES = new Set(['ARCHIVE', 'DEEP_ARCHIVE']);
const TRAFFIC_LIMIT_MIN = 819_200;
const TRAFFIC_LIMIT_MAX = 838_860_800;
const MAX_KEYS = 1000;
const RESPONSE_OVERRIDES: ReadonlyArray<readonly [string, string]> = [
  ['response-cache-control', 'Cache-Control'],
  ['response-content-disposition', 'Content-Disposition'],
  ['response-content-encoding', 'Content-Encoding'],
  ['response-content-language', 'Content-Language'],
  ['response-content-type', 'Content-Type'],
  ['response-expires', 'Expires'],
];
const SSE_ALGORITHM = 'x-cos-server-side-encryption-customer-algorithm';
const SSE_KEY = 'x-cos-server-side-encryption-customer-key';
const SSE_KEY_MD5 = 'x-cos-server-side-encryption-customer-key-md5';
/** Characters Node (and HTTP) accept in a header value. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

type Headers = Record<string, string | number>;

/** A COS error to answer with. */
class CosError {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly message: string,
    readonly headers: Headers = {},
  ) {}
}

interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly record: RequestRecord;
  readonly requestId: string;
  readonly rawPath: string;
  /** Decoded path minus the bucket segment in path-style addressing; `/` for the bucket. */
  readonly key: string;
  readonly query: ReadonlyArray<readonly [string, string]>;
}

class EmulatorServer {
  readonly bucket: string;
  readonly region: string;
  readonly store: Store;
  readonly faultState = new FaultState();
  readonly stats = new StatsRecorder();
  readonly closing = new AbortController();
  readonly #policy: AuthPolicy;
  readonly #ownerId: string;
  clockOffsetMs: number;
  #requestSequence = 0;

  constructor(options: EmulatorOptions) {
    this.bucket = options.bucket ?? 'examplebucket-1250000000';
    this.region = options.region ?? 'ap-guangzhou';
    this.clockOffsetMs = options.clockOffsetMs ?? 0;
    this.store = new Store(() => this.now());
    this.#ownerId = /-(\d+)$/.exec(this.bucket)?.[1] ?? '0';
    const credentials = new Map<string, EmulatorCredential>();
    for (const credential of options.credentials ?? []) credentials.set(credential.secretId, credential);
    this.#policy = {
      credentials,
      publicRead: options.publicRead ?? false,
      strict: options.strictSigning ?? true,
      maxSkewSeconds: options.maxSkewSeconds ?? 900,
      ...(options.temporaryCredentials === undefined ? {} : { temporary: options.temporaryCredentials }),
    };
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  #nextRequestId(): string {
    this.#requestSequence += 1;
    const text = `${Math.floor(Date.now() / 1000).toString(16)}_${this.#requestSequence.toString(16)}_${randomBytes(4).toString('hex')}`;
    return Buffer.from(text).toString('base64').replace(/=+$/, '');
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = this.#nextRequestId();
    res.setHeader('Server', 'tencent-cos');
    res.setHeader('x-cos-request-id', requestId);
    const rawUrl = req.url ?? '/';
    const mark = rawUrl.indexOf('?');
    const rawPath = mark === -1 ? rawUrl : rawUrl.slice(0, mark);
    // Query strings decode as forms do ('+' is a space); clients encode '+' as %2B.
    const query = [...new URLSearchParams(mark === -1 ? '' : rawUrl.slice(mark + 1))];
    const record: RequestRecord = {
      method: req.method ?? 'GET',
      path: rawPath,
      query: recordQuery(query),
      headers: recordHeaders(req.headers),
      signed: req.headers.authorization !== undefined || query.some(([name]) => name === 'q-signature'),
      status: 0,
      bytesSent: 0,
      startedAt: Date.now(),
      kind: 'other',
    };
    if (req.headers.range !== undefined) record.range = req.headers.range;
    if (req.headers.authorization !== undefined)
      record.authorization = redactAuthorization(req.headers.authorization);
    this.stats.add(record);
    let key = '/';
    try {
      let path: string;
      try {
        path = decodeURIComponent(rawPath);
      } catch {
        throw new CosError(400, 'InvalidURI', 'Could not parse the specified URI.');
      }
      record.path = path;
      key = this.#route(req.headers.host ?? '', path);
      record.kind = kindOf(record.method, key);
    } catch (error: unknown) {
      this.#fail({ req, res, record, requestId, rawPath, key, query }, error);
      return;
    }
    const exchange: Exchange = { req, res, record, requestId, rawPath, key, query };
    if (record.kind === 'get') res.once('close', this.stats.enter());
    try {
      await this.#serve(exchange);
    } catch (error: unknown) {
      this.#fail(exchange, error);
    }
  }

  /** The decoded object path (`/` for the bucket) after checking the addressed bucket. */
  #route(hostHeader: string, path: string): string {
    const host = hostHeader.replace(/:\d+$/, '').toLowerCase();
    const virtual = /^(.+)\.cos\.([a-z0-9-]+)\.myqcloud\.com$/.exec(host);
    if (virtual !== null) {
      const [, bucket, region] = virtual;
      if (bucket !== this.bucket || (region !== this.region && region !== 'accelerate')) {
        throw new CosError(404, 'NoSuchBucket', 'The specified bucket does not exist.');
      }
      return path;
    }
    if (/^cos\.[a-z0-9-]+\.myqcloud\.com$/.test(host)) {
      // Path-style: /<bucket>/<key>.
      const slash = path.indexOf('/', 1);
      const bucket = slash === -1 ? path.slice(1) : path.slice(1, slash);
      if (bucket !== this.bucket)
        throw new CosError(404, 'NoSuchBucket', 'The specified bucket does not exist.');
      return slash === -1 ? '/' : path.slice(slash);
    }
    // Any other host (127.0.0.1:port, localhost, a custom domain): the path is the key.
    return path;
  }

  async #serve(exchange: Exchange): Promise<void> {
    const { req, record } = exchange;
    const latency = this.faultState.latency();
    if (latency > 0) {
      try {
        await sleep(latency, undefined, { signal: this.closing.signal });
      } catch {
        exchange.res.destroy();
        return;
      }
    }
    const failure = this.faultState.takeFailure(record.kind);
    if (failure !== undefined) {
      throw new CosError(failure.status, failure.code, `Injected fault: ${failure.code}.`);
    }
    if (record.method !== 'GET' && record.method !== 'HEAD') {
      throw new CosError(
        405,
        'MethodNotAllowed',
        `The emulator is read-only; ${record.method} is not allowed.`,
        {
          Allow: 'GET, HEAD',
        },
      );
    }
    const wantsSignature = exchange.query.some(([name]) => name.startsWith('response-'));
    const outcome = authenticate(
      {
        method: record.method,
        path: record.path,
        query: exchange.query,
        headers: req.headers,
        nowSeconds: this.now() / 1000,
      },
      this.#policy,
      wantsSignature,
    );
    if (!outcome.ok) throw new CosError(outcome.status, outcome.code, outcome.message);

    if (exchange.key === '/') {
      if (record.method === 'HEAD') {
        this.#respond(exchange, 200, { 'x-cos-bucket-region': this.region });
        exchange.res.end();
        return;
      }
      this.#list(exchange);
      return;
    }
    await this.#object(exchange);
  }

  #respond(exchange: Exchange, status: number, headers: Headers): void {
    exchange.record.status = status;
    exchange.res.setHeader('Date', new Date(this.now()).toUTCString());
    exchange.res.writeHead(status, headers);
  }

  #fail(exchange: Exchange, error: unknown): void {
    const { res } = exchange;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const cosError =
      error instanceof CosError
        ? error
        : new CosError(
            500,
            'InternalError',
            `Internal error: ${error instanceof Error ? error.message : String(error)}`,
          );
    const body = errorXml({
      code: cosError.code,
      message: cosError.message,
      resource: `${this.bucket}.cos.${this.region}.myqcloud.com${exchange.rawPath}`,
      requestId: exchange.requestId,
      traceId: randomBytes(24).toString('base64'),
    });
    const bytes = Buffer.from(body, 'utf8');
    this.#respond(exchange, cosError.status, {
      'Content-Type': 'application/xml',
      'Content-Length': bytes.length,
      ...cosError.headers,
    });
    res.end(exchange.record.method === 'HEAD' ? undefined : bytes);
  }

  #list(exchange: Exchange): void {
    const params = new Map(exchange.query);
    const prefix = params.get('prefix') ?? '';
    const delimiterParam = params.get('delimiter');
    const delimiter = delimiterParam === '' ? undefined : delimiterParam;
    const marker = params.get('marker') ?? '';
    const maxKeysParam = params.get('max-keys');
    const encodingType = params.get('encoding-type');
    if (maxKeysParam !== undefined && !/^\d+$/.test(maxKeysParam)) {
      throw new CosError(
        400,
        'InvalidArgument',
        `max-keys must be an integer from 0 to 1000, not "${maxKeysParam}".`,
      );
    }
    // COS documents max-keys as at most 1000; like S3 we cap larger values instead of failing.
    const maxKeys = maxKeysParam === undefined ? MAX_KEYS : Math.min(MAX_KEYS, Number(maxKeysParam));
    if (encodingType !== undefined && encodingType !== 'url') {
      throw new CosError(400, 'InvalidArgument', `encoding-type must be "url", not "${encodingType}".`);
    }

    const contents: ListEntry[] = [];
    const commonPrefixes: string[] = [];
    let emitted = 0;
    let truncated = false;
    let last: string | undefined;
    let lastPrefix: string | undefined;
    for (const version of this.store.listable()) {
      if (!version.key.startsWith(prefix)) continue;
      if (marker !== '' && compareKeys(version.key, marker) <= 0) continue;
      const cut = delimiter === undefined ? -1 : version.key.indexOf(delimiter, prefix.length);
      const common =
        cut === -1 || delimiter === undefined ? undefined : version.key.slice(0, cut + delimiter.length);
      if (
        common !== undefined &&
        (common === lastPrefix || (marker !== '' && compareKeys(common, marker) <= 0))
      ) {
        continue; // already listed, here or on an earlier page (marker = a common prefix)
      }
      if (maxKeys === 0) break;
      if (emitted === maxKeys) {
        truncated = true;
        break;
      }
      emitted += 1;
      if (common === undefined) {
        contents.push(version);
        last = version.key;
      } else {
        commonPrefixes.push(common);
        lastPrefix = common;
        last = common;
      }
    }
    const body = Buffer.from(
      listBucketXml({
        bucket: this.bucket,
        ownerId: this.#ownerId,
        prefix,
        marker,
        maxKeys,
        delimiter,
        encodingUrl: encodingType === 'url',
        isTruncated: truncated,
        nextMarker: truncated ? last : undefined,
        contents,
        commonPrefixes,
      }),
      'utf8',
    );
    this.#respond(exchange, 200, {
      'Content-Type': 'application/xml',
      'Content-Length': body.length,
      'x-cos-bucket-region': this.region,
    });
    exchange.res.end(body);
  }

  /** Replaces `key`'s content with every byte inverted (fault `etagChangeAfterRequests`). */
  #changeContent(key: string): void {
    const latest = this.store.latest(key);
    if (latest === undefined || latest.deleteMarker) return;
    const options: PutOptions = { ...latest.options };
    delete options.etag;
    delete options.lastModified;
    this.store.put(
      key,
      latest.body.map((byte) => byte ^ 0xff),
      options,
    );
  }

  async #object(exchange: Exchange): Promise<void> {
    const { req, record, res } = exchange;
    const isGet = record.method === 'GET';
    const key = exchange.key.slice(1);
    const params = new Map(exchange.query);
    const faults = this.faultState.faults;

    if (isGet && faults.redirect !== undefined) {
      this.#respond(exchange, 302, { Location: faults.redirect.location, 'Content-Length': 0 });
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
    if (isGet && this.faultState.countGet(key)) this.#changeContent(key);

    const version = this.#lookup(key, params.get('versionId'));
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
    const headers = this.#objectHeaders(version, req, params);

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
      this.#respond(exchange, 304, notModified);
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
    this.#respond(exchange, status, headers);
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
      cut: this.faultState.bodyCut(bytes.length),
      bytesPerSecond,
      signal: this.closing.signal,
      onSent: (count) => this.stats.sent(record, count),
    });
  }

  #lookup(key: string, versionId: string | undefined): ObjectVersion {
    const version = versionId === undefined ? this.store.latest(key) : this.store.version(key, versionId);
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
  #objectHeaders(version: ObjectVersion, req: IncomingMessage, params: ReadonlyMap<string, string>): Headers {
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
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function kindOf(method: string, key: string): RequestKind {
  if (method === 'GET') return key === '/' ? 'list' : 'get';
  if (method === 'HEAD' && key !== '/') return 'head';
  return 'other';
}

/** The SSE-C header contract; returns the headers to echo. */
function checkSseCustomer(version: ObjectVersion, req: IncomingMessage): Headers {
  const algorithm = header(req, SSE_ALGORITHM);
  const key = header(req, SSE_KEY);
  const keyMd5 = header(req, SSE_KEY_MD5);
  const sent = algorithm !== undefined || key !== undefined || keyMd5 !== undefined;
  if (version.sseCustomerKeyMd5 === undefined) {
    if (sent) {
      throw new CosError(
        400,
        'InvalidRequest',
        'The object is not encrypted with SSE-C; do not send SSE-C headers.',
      );
    }
    return {};
  }
  if (!sent) {
    throw new CosError(
      400,
      'InvalidRequest',
      'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.',
    );
  }
  if (algorithm !== 'AES256') {
    throw new CosError(400, 'InvalidArgument', `${SSE_ALGORITHM} must be AES256.`);
  }
  if (key === undefined || keyMd5 === undefined) {
    throw new CosError(400, 'InvalidArgument', `SSE-C requires ${SSE_KEY} and ${SSE_KEY}-MD5.`);
  }
  const raw = Buffer.from(key, 'base64');
  if (raw.length !== 32) {
    throw new CosError(400, 'InvalidArgument', `${SSE_KEY} must be the base64 of a 256-bit key.`);
  }
  if (createHash('md5').update(raw).digest('base64') !== keyMd5) {
    throw new CosError(
      400,
      'InvalidArgument',
      'The calculated MD5 hash of the key did not match the hash that was provided.',
    );
  }
  if (keyMd5 !== version.sseCustomerKeyMd5) {
    throw new CosError(
      403,
      'AccessDenied',
      'The SSE-C key does not match the key the object was stored with.',
    );
  }
  return {
    'x-cos-server-side-encryption-customer-algorithm': 'AES256',
    'x-cos-server-side-encryption-customer-key-MD5': keyMd5,
  };
}

/** Starts an emulator on `host:port` (default `127.0.0.1:0`). */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = new EmulatorServer(options);
  if (options.root !== undefined) await loadFolder(emulator.store, options.root);
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    // handle() answers every error itself; this only guards against a failure while failing.
    emulator.handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.address.includes(':') ? `[${address.address}]` : address.address;
  let closed: Promise<void> | undefined;
  const faults = emulator.faultState;
  return {
    url: `http://${urlHost}:${address.port}`,
    bucket: emulator.bucket,
    region: emulator.region,
    put: (key, body, putOptions) => publicView(emulator.store.put(key, body, putOptions)),
    remove: (key) => emulator.store.remove(key),
    setVersioning: (enabled) => emulator.store.setVersioning(enabled),
    versions: (key) => emulator.store.versions(key).map(publicView),
    faults: faults.faults,
    setFaults: (partial) => faults.set(partial),
    clearFaults: () => faults.clear(),
    setClockOffset: (offsetMs) => {
      emulator.clockOffsetMs = offsetMs;
    },
    stats: emulator.stats,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        emulator.closing.abort();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
