// The COS HTTP client: one keep-alive connection pool, signed requests, typed errors, and
// classified retries. It knows requests and responses; what to do with the bytes is the caller's.
import type { Dispatcher } from 'undici';
import type { Connection } from '../base/request.js';
import { type Clock, type Logger, silentLogger, systemClock } from '../base/runtime.js';
import { type CredentialsProvider, staticCredentials } from './credentials.js';
import { createDispatcher, ProxyError, type TransportOptions } from './dispatcher.js';
import { CosError, type CosErrorDetails, hintFor, parseErrorBody, TlsError } from './errors.js';
import type { ProxyEndpoint } from './proxy.js';
import { redactText } from './redact.js';
import { retryTransient } from './retry.js';
import { authorization, cosEncode } from './sign.js';

export interface ClientDeps {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Uniform in [0, 1): the jitter of retry delays. */
  readonly random?: () => number;
  /** Base delay of the exponential backoff. */
  readonly retryBaseMs?: number;
  readonly retryCapMs?: number;
  /** Connections kept per origin; defaults to 16. */
  readonly connections?: number;
  /** Proxy settings and extra CAs for the connections (see dispatcher.ts). */
  readonly transport?: TransportOptions;
  /** Asked for the credentials of every request; default: `connection.credentials`, fixed. */
  readonly credentials?: CredentialsProvider;
}

export interface CosRequest {
  readonly method: 'GET' | 'HEAD';
  /** The object key, or '' for the bucket itself. */
  readonly key: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** Statuses the caller handles itself; any other non-2xx becomes a CosError. */
  readonly accept?: readonly number[];
  readonly signal?: AbortSignal;
  /** Bytes the response body buffers before pausing the socket (undici's default is 64 KiB). */
  readonly highWaterMark?: number;
}

export interface CosResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Dispatcher.ResponseData['body'];
}

export class CosClient {
  readonly connection: Connection;
  readonly #agent: Dispatcher;
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
  }

  get logger(): Logger {
    return this.#logger;
  }

  /** One signed attempt. Non-accepted error statuses are read and thrown as CosError. */
  async send(request: CosRequest): Promise<CosResponse> {
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
    const response = await this.#agent
      .request({
        origin: this.#origin,
        path: search === '' ? encodedPath : `${encodedPath}?${search}`,
        method: request.method,
        headers,
        signal: request.signal ?? null,
        ...(request.highWaterMark === undefined ? {} : { highWaterMark: request.highWaterMark }),
      })
      .catch((error: unknown) => {
        const context = describe(request);
        throw (
          TlsError.from(error, this.#origin, context) ?? ProxyError.from(error, this.#proxy, context) ?? error
        );
      });
    const status = response.statusCode;
    if ((status >= 200 && status < 300) || request.accept?.includes(status)) {
      return { status, headers: response.headers, body: response.body };
    }
    const text = await readCapped(response.body, 64 * 1024);
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
    const details = redactDetails(parseErrorBody(status, text, response.headers), [
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
  const requestId = clean(details.requestId);
  const traceId = clean(details.traceId);
  return {
    ...details,
    code: redactText(details.code, secrets),
    message: redactText(details.message, secrets),
    ...(requestId === undefined ? {} : { requestId }),
    ...(traceId === undefined ? {} : { traceId }),
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

/** First value of a response header. */
export function header(response: CosResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
