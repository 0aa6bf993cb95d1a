// A presigned link (or any HTTPS URL of an object store that honours ranges) as a source of one
// object's bytes. The URL is fixed: requests add headers only (Range, If-Match, conditions, SSE-C,
// traffic limit), never a query parameter, never a signature of ours, never HEAD (a link signs its
// method). Redirects are not followed. A link is a credential: messages name it by origin and path.
import type { Dispatcher } from 'undici';
import { type Clock, type Logger, silentLogger, systemClock } from '../base/runtime.js';
import {
  type BodySink,
  type CosRequest,
  type CosResponse,
  readCapped,
  redactDetails,
  toSink,
} from './client.js';
import { createDispatcher, ProxyError, type TransportOptions } from './dispatcher.js';
import { CosError, type CosErrorDetails, parseErrorBody, safeLocation, TlsError } from './errors.js';
import { type LinkWindow, linkWindow } from './presign.js';
import { linkSecrets } from './redact.js';
import { retryTransient } from './retry.js';

/** The link as it may be shown: scheme, host and path, never its query (the signature) or credentials. */
export function linkName(url: string | URL): string {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

export interface LinkConnection {
  /** The link, as given (checked by the input parser: absolute, https or loopback http, no user:password@). */
  readonly url: string;
  readonly retries: number;
  readonly timeoutMs: number;
}

export interface LinkClientDeps {
  readonly clock?: Clock | undefined;
  readonly logger?: Logger | undefined;
  readonly random?: (() => number) | undefined;
  readonly retryBaseMs?: number | undefined;
  readonly retryCapMs?: number | undefined;
  /** Connections kept to the link's origin; default 16. */
  readonly connections?: number | undefined;
  readonly transport?: TransportOptions | undefined;
}

/** The link stopped being accepted: its window closed, or the temporary credentials it was signed with expired. */
export class LinkExpiredError extends CosError {
  /** The end of the link's window, when it is a COS link. */
  readonly expiredAt: Date | undefined;

  constructor(details: CosErrorDetails, name: string, window: LinkWindow | undefined, tokenExpired: boolean) {
    super(details, `GET ${name}`);
    this.expiredAt = tokenExpired ? undefined : window?.end;
    const span =
      window === undefined
        ? ''
        : ` (valid from ${window.start.toISOString()}${tokenExpired ? ` to ${window.end.toISOString()}` : ''})`;
    this.message = tokenExpired
      ? `The link to ${name} stopped working: the temporary credentials it was signed with expired${span}; make a new one`
      : window === undefined
        ? `The link to ${name} has expired (the server says: ${details.message}); make a new one`
        : `The link to ${name} expired at ${window.end.toISOString()}${span}; make a new one`;
  }
}

/** What to do about a refused link; appended to the message. */
function linkHint(details: CosErrorDetails, window: LinkWindow | undefined): string | undefined {
  switch (details.code) {
    case 'SignatureDoesNotMatch':
      return (
        "The link's signature does not match: the link was changed or cut short on the way (copy it whole, " +
        'every parameter included), or the key that signed it was disabled'
      );
    case 'RequestTimeTooSkewed':
      return window === undefined
        ? "The server finds the link's time window far from its clock: check this machine's clock, or make a new link"
        : `The link is valid from ${window.start.toISOString()} to ${window.end.toISOString()}, far from the server's clock: make a new link`;
    case 'InvalidAccessKeyId':
      return 'The key that signed the link is unknown to the server (deleted, or another account): make a new link';
    case 'AccessDenied':
      return 'The link does not grant reading this object (or it was made for another one): make a new link';
    case 'InvalidToken':
      return 'The session token in the link is missing or wrong: copy the link whole, or make a new one';
    default:
      return undefined;
  }
}

/** A fixed URL to GET an object's bytes from, with the retries of the COS client. */
export class LinkClient {
  /** Requests add headers only: no query parameter, no HEAD, no signature (see transfer/source.ts). */
  readonly fixedUrl = true;
  /** Names the object's store in a checkpoint: the link's origin, so a fresh link to the same object resumes. */
  readonly connection: { readonly bucket: string };
  /** The link as messages, progress, checkpoints and manifests show it: origin and path. */
  readonly name: string;
  /** The link's time window, when it is a COS link. */
  readonly window: LinkWindow | undefined;
  readonly #origin: string;
  readonly #path: string;
  readonly #secrets: readonly string[];
  readonly #agent: Dispatcher;
  readonly #proxy: ReturnType<typeof createDispatcher>['proxy'];
  readonly #retries: number;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #random: () => number;
  readonly #retryBaseMs: number;
  readonly #retryCapMs: number;

  constructor(link: LinkConnection, deps: LinkClientDeps = {}) {
    const url = new URL(link.url);
    if (url.username !== '' || url.password !== '') {
      throw new TypeError('LinkClient: a link must not carry user:password@ (the input parser refuses it)');
    }
    this.name = linkName(url);
    this.connection = { bucket: url.origin };
    this.window = linkWindow(link.url);
    this.#origin = url.origin;
    this.#path = `${url.pathname}${url.search}`;
    // A server may echo the request line: the query goes whole, besides each secret in it.
    this.#secrets = [...linkSecrets(link.url), url.search, url.search.slice(1)];
    this.#retries = link.retries;
    this.#timeoutMs = link.timeoutMs;
    this.#clock = deps.clock ?? systemClock;
    this.#logger = deps.logger ?? silentLogger;
    this.#random = deps.random ?? Math.random;
    this.#retryBaseMs = deps.retryBaseMs ?? 250;
    this.#retryCapMs = deps.retryCapMs ?? 20_000;
    const route = createDispatcher(this.#origin, {
      connections: deps.connections ?? 16,
      timeoutMs: link.timeoutMs,
      ...deps.transport,
    });
    this.#agent = route.dispatcher;
    this.#proxy = route.proxy;
  }

  get logger(): Logger {
    return this.#logger;
  }

  /** One GET of the link whose 2xx answer goes to `sink` (cos/client.ts `getBody`). */
  async getBody(request: CosRequest, sink: BodySink): Promise<void> {
    await toSink(await this.send(request), sink);
  }

  /**
   * One GET of the link with `request.headers` added. `request.key` must be `name` (the engine
   * addresses the object by it); a query or any method but GET is a programming error.
   */
  async send(request: CosRequest): Promise<CosResponse> {
    if (request.method !== 'GET') {
      throw new TypeError(`LinkClient: a link signs its method, GET; it cannot be sent as ${request.method}`);
    }
    if (request.query !== undefined && Object.keys(request.query).length > 0) {
      throw new TypeError('LinkClient: a link is sent as it is; its query is signed, so none can be added');
    }
    if (request.key !== this.name) throw new TypeError(`LinkClient: this client fetches ${this.name} only`);
    const context = `GET ${this.name}`;
    const response = await this.#agent
      .request({
        origin: this.#origin,
        path: this.#path,
        method: 'GET',
        headers: { ...request.headers },
        signal: request.signal ?? null,
        ...(request.highWaterMark === undefined ? {} : { highWaterMark: request.highWaterMark }),
      })
      .catch((error: unknown) => {
        throw (
          TlsError.from(error, this.#origin, context) ?? ProxyError.from(error, this.#proxy, context) ?? error
        );
      });
    const status = response.statusCode;
    if ((status >= 200 && status < 300) || request.accept?.includes(status)) {
      return { status, headers: response.headers, body: response.body };
    }
    const text = await readCapped(response.body, 64 * 1024);
    const refused = ProxyError.refused(status, this.#proxy, context);
    if (refused !== undefined) throw refused;
    // The error text is the server's: it may echo the link, so its signature and token are cut out.
    const details = redactDetails(parseErrorBody(status, text, response.headers), [
      ...this.#secrets,
      request.headers?.['x-cos-server-side-encryption-customer-key'],
      request.headers?.['x-cos-server-side-encryption-customer-key-MD5'],
    ]);
    if (status >= 300 && status < 400) {
      let location: string | undefined;
      try {
        location = details.location === undefined ? undefined : new URL(details.location, this.#origin).href;
      } catch {
        location = undefined;
      }
      // The target may be another signed URL: only its origin and path are kept, even in the error's fields.
      const shown = safeLocation(location);
      throw new CosError(
        {
          ...details,
          location: location === undefined ? undefined : shown,
          code: 'Redirect',
          message: `the server redirected to ${shown}`,
        },
        context,
        'Redirects are not followed: a link is fetched only from where it points, so no redirect can lead it, ' +
          'or its signature, elsewhere. Fix: download from that server directly if you trust it',
      );
    }
    if (status === 403 && /request has expired/i.test(details.message)) {
      throw new LinkExpiredError(details, this.name, this.window, false);
    }
    if (details.code === 'ExpiredToken') throw new LinkExpiredError(details, this.name, this.window, true);
    throw new CosError(details, context, linkHint(details, this.window));
  }

  /** The COS client's retries (ADR 0003), without its clock correction: a link's window is fixed. */
  async retrying<T>(
    what: string,
    signal: AbortSignal | undefined,
    attempt: (n: number) => Promise<T>,
  ): Promise<T> {
    return retryTransient(
      {
        attempts: this.#retries + 1,
        clock: this.#clock,
        logger: this.#logger,
        random: this.#random,
        baseMs: this.#retryBaseMs,
        capMs: this.#retryCapMs,
        timeoutMs: this.#timeoutMs,
      },
      what,
      signal,
      attempt,
    );
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}
