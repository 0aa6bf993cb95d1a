// The COS emulator: one bucket over node:http, speaking the COS dialect of GET/HEAD Object,
// HEAD Bucket and GET Bucket (ListObjects), with signature checks and injectable faults. This file
// routes: it finds the addressed bucket and key, applies latency and injected failures, checks the
// signature, hands the request to listing.ts or object.ts, and writes any error as COS's XML.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CosError, type Exchange, type Headers, type ServedBucket } from './answer.js';
import {
  type AuthPolicy,
  authenticate,
  type EmulatorCredential,
  type TemporaryCredentialSource,
} from './auth.js';
import { FaultState, type Faults, type RequestKind } from './faults.js';
import { listObjects } from './listing.js';
import { serveObject } from './object.js';
import {
  type RequestRecord,
  recordHeaders,
  recordQuery,
  redactAuthorization,
  type Stats,
  StatsRecorder,
} from './stats.js';
import {
  loadFolder,
  type PutOptions,
  publicView,
  Store,
  type StoredVersion,
  type SyntheticObjects,
} from './store.js';
import { errorXml } from './xml.js';

export interface EmulatorOptions {
  /** `BucketName-APPID`; default `examplebucket-1250000000`. */
  bucket?: string | undefined;
  /** Objects generated from their key (a million cost no memory), listed and served like stored ones. */
  synthetic?: SyntheticObjects | undefined;
  /** Default `ap-guangzhou`. */
  region?: string | undefined;
  /**
   * Keys the emulator accepts. Empty or absent: the bucket is public-read and signatures are
   * not verified (any well-formed signature counts as signed, e.g. for `response-*`).
   */
  credentials?: ReadonlyArray<EmulatorCredential> | undefined;
  /** Temporary credentials accepted too (e.g. `startStsEmulator().issued`), each with its token until it expires. */
  temporaryCredentials?: TemporaryCredentialSource | undefined;
  /** Anonymous GET/HEAD/list allowed even when credentials exist; signed requests are still verified. */
  publicRead?: boolean | undefined;
  /**
   * Default true: host, Range, If-* and x-cos-* headers sent (except x-cos-security-token) and
   * every query parameter must be signed — the rule cos-download follows. False: only what the
   * client lists is checked, as real COS does.
   */
  strictSigning?: boolean | undefined;
  /** Serve the files of this folder as objects (read once, at start). */
  root?: string | undefined;
  /** Default `127.0.0.1`. */
  host?: string | undefined;
  /** Default 0 (any free port). */
  port?: number | undefined;
  /** The emulator's clock is `now() + clockOffsetMs` (signature windows, Date, Last-Modified). */
  clockOffsetMs?: number | undefined;
  /** Milliseconds since the epoch; default `Date.now`. Tests inject one to expire a link exactly. */
  now?: (() => number) | undefined;
  /** Allowed distance outside a signature's time window before RequestTimeTooSkewed; default 900. */
  maxSkewSeconds?: number | undefined;
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

class EmulatorServer implements ServedBucket {
  readonly bucket: string;
  readonly region: string;
  readonly store: Store;
  readonly faultState = new FaultState();
  readonly stats = new StatsRecorder();
  readonly closing = new AbortController();
  readonly ownerId: string;
  readonly #policy: AuthPolicy;
  clockOffsetMs: number;
  readonly #clock: () => number;
  #requestSequence = 0;

  constructor(options: EmulatorOptions) {
    this.bucket = options.bucket ?? 'examplebucket-1250000000';
    this.region = options.region ?? 'ap-guangzhou';
    this.clockOffsetMs = options.clockOffsetMs ?? 0;
    this.#clock = options.now ?? Date.now;
    this.store = new Store(() => this.now(), options.synthetic);
    this.ownerId = /-(\d+)$/.exec(this.bucket)?.[1] ?? '0';
    const credentials = new Map<string, EmulatorCredential>();
    for (const credential of options.credentials ?? []) credentials.set(credential.secretId, credential);
    this.#policy = {
      credentials,
      publicRead: options.publicRead ?? false,
      strict: options.strictSigning ?? true,
      maxSkewSeconds: options.maxSkewSeconds ?? 900,
      temporary: options.temporaryCredentials,
    };
  }

  now(): number {
    return this.#clock() + this.clockOffsetMs;
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
      throw new CosError(
        failure.status,
        failure.code,
        `Injected fault: ${failure.code}.`,
        failure.retryAfter === undefined ? {} : { 'Retry-After': failure.retryAfter },
      );
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
        this.respond(exchange, 200, { 'x-cos-bucket-region': this.region });
        exchange.res.end();
        return;
      }
      listObjects(this, exchange);
      return;
    }
    await serveObject(this, exchange);
  }

  respond(exchange: Exchange, status: number, headers: Headers): void {
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
    this.respond(exchange, cosError.status, {
      'Content-Type': 'application/xml',
      'Content-Length': bytes.length,
      ...cosError.headers,
    });
    res.end(exchange.record.method === 'HEAD' ? undefined : bytes);
  }
}

function kindOf(method: string, key: string): RequestKind {
  if (method === 'GET') return key === '/' ? 'list' : 'get';
  if (method === 'HEAD' && key !== '/') return 'head';
  return 'other';
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
