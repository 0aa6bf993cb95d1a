// The connections of one origin: an undici Agent, or a ProxyAgent when the environment's proxy
// settings route that origin through a proxy (CONNECT for https, absolute-form requests for http).
// Shared by the COS client, the STS client and any other client of ours (docs/adr/0009-proxies.md).
import type { LookupFunction } from 'node:net';
// The namespace, not a named import: on a Node without getCACertificates (20) a named import fails
// at link time, before the library's Node version check can say so in one line.
import tls from 'node:tls';
import { Agent, type Dispatcher, Pool, ProxyAgent } from 'undici';
import type { CaCertificates } from '../base/request.js';
import { type ProxyEndpoint, type ProxySettings, proxyFor } from './proxy.js';

/** How to reach servers: the same for every client of one run. */
export interface TransportOptions {
  /** From `proxySettingsFrom(env)`; absent: every request goes direct. */
  readonly proxy?: ProxySettings | undefined;
  /** CAs trusted in addition to Node's default ones (the `ca-cert` input). */
  readonly extraCa?: CaCertificates | undefined;
  /** Resolves host names of direct connections instead of the system resolver (tests). */
  readonly lookup?: LookupFunction | undefined;
}

export interface DispatcherOptions extends TransportOptions {
  /** Connect, headers and idle-body timeout. */
  readonly timeoutMs: number;
  /** Connections kept to the origin; default 16. */
  readonly connections?: number;
}

export interface Route {
  readonly dispatcher: Dispatcher;
  /** The proxy requests go through; undefined when they go direct. */
  readonly proxy: ProxyEndpoint | undefined;
}

/**
 * Node's default CAs (the bundled roots, NODE_EXTRA_CA_CERTS, and the system store when Node runs
 * with --use-system-ca) plus `extra`; undefined without extra CAs, so Node's own default applies.
 */
export function trustedCertificates(extra: CaCertificates | undefined): string[] | undefined {
  if (extra === undefined || extra.pems.length === 0) return undefined;
  return [...tls.getCACertificates('default'), ...extra.pems];
}

/** The dispatcher for requests to `origin`. Throws the ProxyConfigError of an unusable proxy variable. */
export function createDispatcher(origin: string, options: DispatcherOptions): Route {
  const ca = trustedCertificates(options.extraCa);
  // Certificates are always verified: no input turns this off, and stating it here also overrides
  // NODE_TLS_REJECT_UNAUTHORIZED=0. Redirects are never followed: undici's agents have no redirect
  // handling unless asked for.
  // Handed on to node:tls and node:net, which take an undefined `ca` or `lookup` as their default.
  const tls = { timeout: options.timeoutMs, rejectUnauthorized: true, ca, lookup: options.lookup };
  const pool = {
    connections: options.connections ?? 16,
    keepAliveTimeout: 30_000,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  };
  const proxy = options.proxy === undefined ? undefined : proxyFor(origin, options.proxy);
  if (proxy === undefined) return { dispatcher: new Agent({ ...pool, connect: tls }), proxy };
  return {
    dispatcher: new ProxyAgent({
      ...pool,
      // The bare origin: credentials travel only as the Proxy-Authorization token, so no undici
      // state or message holds them.
      uri: proxy.origin,
      ...(proxy.authorization === undefined ? {} : { token: proxy.authorization }),
      proxyTls: tls,
      requestTls: tls,
      // ProxyAgent builds the pool of forwarded (plain http) requests without the pool options:
      // without this, their headers and body timeouts would be undici's 300 s, not timeoutMs.
      factory: (poolOrigin: string | URL, poolOptions: object) =>
        new Pool(poolOrigin, { ...pool, ...poolOptions }),
      // The same for the pool that sends CONNECT: a proxy that never answers one fails on timeoutMs.
      clientFactory: (proxyOrigin: URL, clientOptions: object) =>
        new Pool(proxyOrigin, { ...pool, ...clientOptions }),
    }),
    proxy,
  };
}

/** A request failed at the proxy (unreachable, refused the tunnel, wants credentials). */
export class ProxyError extends Error {
  override readonly name = 'ProxyError';
  /** The proxy's status, when it answered. */
  readonly status: number | undefined;

  constructor(message: string, status: number | undefined, cause: unknown) {
    super(message, { cause });
    this.status = status;
  }

  /** A ProxyError for a failure of `error` at `proxy`; undefined when not proxied or not the proxy's. */
  static from(error: unknown, proxy: ProxyEndpoint | undefined, context: string): ProxyError | undefined {
    if (proxy === undefined || !(error instanceof Error)) return undefined;
    const status = proxyStatus(error.message);
    const refused = status === undefined ? undefined : ProxyError.refused(status, proxy, context, error);
    if (refused !== undefined) return refused;
    const via = viaProxy(proxy);
    if (status !== undefined) {
      return new ProxyError(
        `${context} ${via}: the proxy refused the tunnel (status ${status}). Fix: ask for CONNECT to ` +
          'this host and port to be allowed, or list the host in NO_PROXY if it is reachable directly',
        status,
        error,
      );
    }
    const code = errorCode(error);
    if (code === 'UND_ERR_HEADERS_TIMEOUT') {
      return new ProxyError(
        `${context} ${via}: no answer within the timeout (${code}). Fix: check that the proxy reaches ` +
          "this host (or list the host in NO_PROXY if it is reachable directly), or raise 'timeout'",
        undefined,
        error,
      );
    }
    if (code !== undefined && CONNECT_CODES.has(code)) {
      return new ProxyError(
        `${context} ${via}: the proxy cannot be reached (${code}). Fix: check ${proxy.variable}, or list ` +
          'the host in NO_PROXY if it is reachable directly',
        undefined,
        error,
      );
    }
    return undefined;
  }

  /**
   * A ProxyError when `status` is the proxy refusing the credentials (407, or the 401 tinyproxy
   * answers to wrong ones; COS itself never answers 401); undefined for any other status.
   */
  static refused(
    status: number,
    proxy: ProxyEndpoint | undefined,
    context: string,
    cause?: unknown,
  ): ProxyError | undefined {
    if (proxy === undefined || (status !== 407 && status !== 401)) return undefined;
    const reason = status === 407 ? '407 Proxy Authentication Required' : '401 Unauthorized';
    const rule =
      proxy.authorization === undefined
        ? `the proxy wants credentials (${reason})`
        : `the proxy refused the credentials in ${proxy.variable} (${reason})`;
    return new ProxyError(
      `${context} ${viaProxy(proxy)}: ${rule}. Fix: put the proxy's user and password in ${proxy.variable} ` +
        '(http://user:password@host:port, special characters percent-encoded)',
      status,
      cause,
    );
  }
}

function viaProxy(proxy: ProxyEndpoint): string {
  return `through the proxy ${proxy.shown} (from ${proxy.variable})`;
}

/** Failures of the TCP connection, which with a proxy is always the connection to the proxy. */
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function errorCode(error: Error): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_ABORTED') return code;
  }
  return undefined;
}

/** The status in undici's messages for a proxy's refusal: of a tunnel, or of a forwarded request. */
function proxyStatus(message: string): number | undefined {
  const tunnel = /^Proxy response \((\d{3})\) !== 200 when HTTP Tunneling$/.exec(message);
  if (tunnel !== null) return Number(tunnel[1]);
  if (message === 'Proxy Authentication Required (407)') return 407;
  return undefined;
}
