// The COS HTTP client: one keep-alive connection pool, signed requests, typed errors, and
// classified retries. It knows requests and responses; what to do with the bytes is the caller's.
import type { Dispatcher } from 'undici';
import type { Connection, Credentials } from '../base/request.js';
import { type Clock, type Logger, silentLogger, systemClock } from '../base/runtime.js';
import { type CredentialsProvider, staticCredentials } from './credentials.js';
import { createDispatcher, ProxyError, type TransportOptions, trustedCertificates } from './dispatcher.js';
import { CosError, type CosErrorDetails, hintFor, NetworkError, parseErrorBody, TlsError } from './errors.js';
import type { ProxyEndpoint } from './proxy.js';
import { RangeReader } from './range-reader.js';
import { redactText } from './redact.js';
import { retryTransient } from './retry.js';
import { authorization, cosEncode } from './sign.js';

export interface ClientDeps {
  readonly clock?: Clock | undefined;
  readonly logger?: Logger | undefined;
  /** Uniform in [0, 1): the jitter of retry delays. */
  readonly random?: (() => number) | undefined;
  /** Base delay of the exponential backoff. */
  readonly retryBaseMs?: number | undefined;
  readonly retryCapMs?: number | undefined;
  /** Connections kept per origin; defaults to 16. */
  readonly connections?: number | undefined;
  /** Proxy settings and extra CAs for the connections (see dispatcher.ts). */
  readonly transport?: TransportOptions | undefined;
  /** Asked for the credentials of every request; default: `connection.credentials`, fixed. */
  readonly credentials?: CredentialsProvider | undefined;
  /** false: object bytes go through undici too (the range reader is on by default). */
  readonly rangeReader?: boolean | undefined;
}

interface Prepared {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly credentials: Credentials | undefined;
}

export interface CosRequest {
  readonly method: 'GET' | 'HEAD';
  /** The object key, or '' for the bucket itself. */
  readonly key: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** Statuses the caller handles itself; any other non-2xx becomes a CosError. */
  readonly accept?: readonly number[];
  readonly signal?: AbortSignal | undefined;
  /** Bytes the response body buffers before pausing the socket (undici's default is 64 KiB). */
  readonly highWaterMark?: number;
}

/** Where `getBody` puts a 2xx answer. */
export interface BodySink {
  /** The status and headers, before any of the body; throwing refuses the answer. */
  onHead(answer: Pick<CosResponse, 'status' | 'headers'>): void;
  /** A slice of the body, valid only during the call; throwing aborts the request. */
  onBody(chunk: Buffer): void;
}

export interface CosResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Dispatcher.ResponseData['body'];
}

export class CosClient {
  readonly connection: Connection;
  readonly #agent: Dispatcher;
  readonly #reader: RangeReader | undefined;
  readonly #proxy: ProxyEndpoint | undefined;
  readonly #credentials: CredentialsProvider;
  readonly #origin: string;
  readonly #basePath: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #random: () => number;
  readonly #retryBaseMs: number;
  readonly #retryCapMs: number;
  /** Server time minus our time, learnt from RequestTimeTooSkewed answers. */
  #clockOffsetMs = 0;

  constructor(connection: Connection, deps: ClientDeps = {}) {
    this.connection = connection;
    const url = new URL(connection.endpoint);
    this.#origin = url.origin;
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#clock = deps.clock ?? systemClock;
    this.#logger = deps.logger ?? silentLogger;
    this.#random = deps.random ?? Math.random;
    this.#retryBaseMs = deps.retryBaseMs ?? 250;
    this.#retryCapMs = deps.retryCapMs ?? 20_000;
    this.#credentials = deps.credentials ?? staticCredentials(connection.credentials);
    const route = createDispatcher(this.#origin, {
      connections: deps.connections ?? 16,
      timeoutMs: connection.timeoutMs,
      ...deps.transport,
    });
    this.#agent = route.dispatcher;
    this.#proxy = route.proxy;
    // A proxied origin keeps undici for everything: the range reader speaks to the origin directly.
    this.#reader =
      route.proxy === undefined && deps.rangeReader !== false
        ? new RangeReader(this.#origin, {
            connections: deps.connections ?? 16,
            timeoutMs: connection.timeoutMs,
            ca: trustedCertificates(deps.transport?.extraCa),
            lookup: deps.transport?.lookup,
          })
        : undefined;
  }

  get logger(): Logger {
    return this.#logger;
  }

  /** The signed form of a request: its path and query, its headers, the credentials it was signed with. */
  async #prepare(request: CosRequest): Promise<Prepared> {
    const query = request.query ?? {};
    const url = new URL(this.#origin);
    const signPath = `${this.#basePath}/${request.key}`;
    const encodedPath = `${this.#basePath}/${request.key.split('/').map(cosEncode).join('/')}`;
    const search = Object.entries(query)
      .map(([k, v]) => (v === '' ? cosEncode(k) : `${cosEncode(k)}=${cosEncode(v)}`))
      .join('&');
    const headers: Record<string, string> = { host: url.host, ...request.headers };
    const credentials = await this.#credentials.current(request.signal);
    if (credentials) {
      if (credentials.sessionToken) headers['x-cos-security-token'] = credentials.sessionToken;
      headers.authorization = authorization(
        credentials,
        { method: request.method, path: signPath, query, headers },
        (this.#clock.now() + this.#clockOffsetMs) / 1000,
      );
    }
    return { path: search === '' ? encodedPath : `${encodedPath}?${search}`, headers, credentials };
  }

  /** A failure to reach the server, told as what it is: TLS, the proxy, the network, or as thrown. */
  #unreached(error: unknown, request: CosRequest): unknown {
    const context = describe(request);
    return (
      TlsError.from(error, this.#origin, context) ??
      ProxyError.from(error, this.#proxy, context) ??
      NetworkError.from(error, this.#origin, context) ??
      error
    );
  }

  /** One signed attempt. Non-accepted error statuses are read and thrown as CosError. */
  async send(request: CosRequest): Promise<CosResponse> {
    const prepared = await this.#prepare(request);
    const response = await this.#agent
      .request({
        origin: this.#origin,
        path: prepared.path,
        method: request.method,
        headers: prepared.headers,
        signal: request.signal ?? null,
        ...(request.highWaterMark === undefined ? {} : { highWaterMark: request.highWaterMark }),
      })
      .catch((error: unknown) => {
        throw this.#unreached(error, request);
      });
    const status = response.statusCode;
    if ((status >= 200 && status < 300) || request.accept?.includes(status)) {
      return { status, headers: response.headers, body: response.body };
    }
    const text = await readCapped(response.body, 64 * 1024);
    return this.#fail(request, prepared, status, text, response.headers);
  }

  /**
   * One signed GET whose 2xx answer goes to `sink`: its status and headers first (`onHead` may
   * throw to refuse it), then its body a slice at a time, each valid only during the call. Resolves
   * once the body ended. The bytes of an object take the range reader (one reused buffer per
   * connection) unless the origin is proxied. A non-2xx answer throws as `send` does.
   */
  async getBody(request: CosRequest, sink: BodySink): Promise<void> {
    const reader = this.#reader;
    if (reader === undefined) {
      await toSink(await this.send(request), sink);
      return;
    }
    const prepared = await this.#prepare(request);
    const answer = await reader
      .request({
        path: prepared.path,
        headers: prepared.headers,
        signal: request.signal,
        onHead: (status, headers) => sink.onHead({ status, headers }),
        onBody: sink.onBody,
      })
      .catch((error: unknown) => {
        throw this.#unreached(error, request);
      });
    if (answer.errorText !== undefined) {
      await this.#fail(request, prepared, answer.status, answer.errorText, answer.headers);
    }
  }

  /** Throws the CosError of a non-2xx answer whose body (at most 64 KiB) is `text`. */
  async #fail(
    request: CosRequest,
    prepared: Prepared,
    status: number,
    text: string,
    responseHeaders: CosResponse['headers'],
  ): Promise<never> {
    const { headers, credentials } = prepared;
    // A plain-http request through a proxy: a 401/407 is the proxy's, not COS's.
    const refused = ProxyError.refused(status, this.#proxy, describe(request));
    if (refused !== undefined) throw refused;
    if (request.method === 'HEAD' && status >= 400 && status < 500 && status !== 412) {
      // A HEAD error has no body, so no COS code: ask the same question with a one-byte GET to learn it.
      await this.send({
        ...request,
        method: 'GET',
        headers: { ...request.headers, range: 'bytes=0-0' },
      }).then(
        (answer) => answer.body.dump(),
        (error: unknown) => {
          if (error instanceof CosError && error.status === status) {
            throw error.rephrase(
              error.cosMessage,
              describe(request),
              hintFor(error, credentials === undefined),
            );
          }
        },
      );
    }
    // The error text is the server's: a proxy may echo what it was sent, so the secrets this
    // request carried are cut out before the text reaches a message or a log.
    const details = redactDetails(parseErrorBody(status, text, responseHeaders), [
      headers.authorization,
      credentials?.secretId,
      credentials?.secretKey,
      credentials?.sessionToken,
      headers['x-cos-server-side-encryption-customer-key'],
      headers['x-cos-server-side-encryption-customer-key-MD5'],
      ...(this.#proxy?.secrets ?? []),
    ]);
    throw new CosError(details, describe(request), hintFor(details, credentials === undefined));
  }

  /**
   * Runs `attempt` until it succeeds, a failure is not transient, or the retries are spent.
   * Full-jitter exponential backoff; a RequestTimeTooSkewed answer corrects the clock and retries at once.
   */
  async retrying<T>(
    what: string,
    signal: AbortSignal | undefined,
    attempt: (n: number) => Promise<T>,
  ): Promise<T> {
    return retryTransient(
      {
        attempts: this.connection.retries + 1,
        clock: this.#clock,
        logger: this.#logger,
        random: this.#random,
        baseMs: this.#retryBaseMs,
        capMs: this.#retryCapMs,
        timeoutMs: this.connection.timeoutMs,
        correctClock: (error) => (this.#correctClock(error) ? this.#clockOffsetMs : undefined),
      },
      what,
      signal,
      attempt,
    );
  }

  #correctClock(error: CosError): boolean {
    const server = error.serverDate === undefined ? Number.NaN : Date.parse(error.serverDate);
    if (Number.isNaN(server)) return false;
    this.#clockOffsetMs = server - this.#clock.now();
    return true;
  }

  async close(): Promise<void> {
    await this.#reader?.close();
    await this.#agent.close();
  }
}

function describe(request: CosRequest): string {
  if (request.key === '') return `${request.method === 'HEAD' ? 'HEAD' : 'List'} bucket`;
  const version = request.query?.versionId ? ` (version ${request.query.versionId})` : '';
  return `${request.method} '${request.key}'${version}`;
}

export function redactDetails(
  details: CosErrorDetails,
  secrets: readonly (string | undefined)[],
): CosErrorDetails {
  const clean = (text: string | undefined) => (text === undefined ? undefined : redactText(text, secrets));
  return {
    ...details,
    code: redactText(details.code, secrets),
    message: redactText(details.message, secrets),
    requestId: clean(details.requestId),
    traceId: clean(details.traceId),
  };
}

/** Reads a body as text, keeping at most `limit` characters and draining the rest. */
export async function readCapped(body: AsyncIterable<Uint8Array>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body) {
    chunks.push(Buffer.from(chunk));
    length += chunk.length;
    // Leaving the loop destroys the body: a server that never stops sending cannot hold us here.
    if (length >= limit) break;
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, limit);
}

/** A 2xx answer `send` returned, to `sink`: the path of a proxied origin, and of a link. */
export async function toSink(response: CosResponse, sink: BodySink): Promise<void> {
  try {
    sink.onHead(response);
  } catch (error: unknown) {
    // Destroying an unread body emits an error event, which here has nowhere to go.
    response.body.on('error', () => {});
    response.body.destroy();
    throw error;
  }
  for await (const chunk of response.body as AsyncIterable<Buffer>) sink.onBody(chunk);
}

/** First value of a response header. */
export function header(response: Pick<CosResponse, 'headers'>, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
