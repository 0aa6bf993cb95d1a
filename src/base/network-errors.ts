// Failures to reach a server told in plain words: which host, what happened, and what to check.
// Node's and undici's own messages ("connect ECONNREFUSED 127.0.0.1:9555", "getaddrinfo ENOTFOUND
// …", "other side closed") name a code, not a cause a user can act on. Pure.

interface SystemErrorFields {
  readonly code?: unknown;
  readonly syscall?: unknown;
  readonly address?: unknown;
  readonly port?: unknown;
  readonly hostname?: unknown;
}

/** The first error in the cause chain (at most 5 deep) that carries one of `codes`. */
function findCode(
  error: unknown,
  codes: ReadonlySet<string>,
  depthLimit = 5,
): (Error & SystemErrorFields) | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < depthLimit && current instanceof Error; depth++) {
    const code = (current as SystemErrorFields).code;
    if (typeof code === 'string' && codes.has(code)) return current as Error & SystemErrorFields;
    if (current.cause === current) break;
    current = current.cause;
  }
  return undefined;
}

/** Where it happened: `host:port`, the bare host name, and whether it is this machine. */
interface Place {
  readonly host: string;
  readonly name: string;
  readonly local: boolean;
}

/** The advice about proxies, for a host that is not this machine. */
function proxy(place: Place): string {
  return place.local ? '' : '; if this network reaches the internet only through a proxy, set HTTPS_PROXY';
}

/** What each code means and what to check. */
const WORDING: Readonly<Record<string, (place: Place) => string>> = {
  ECONNREFUSED: (p) =>
    `cannot connect to ${p.host}: the connection was refused (ECONNREFUSED). ` +
    `Check that the endpoint is running and that its address and port are right${proxy(p)}`,
  ENOTFOUND: (p) =>
    `cannot resolve the host name '${p.name}' (ENOTFOUND). ` +
    `Check the bucket, region and endpoint for typos${proxy(p)}`,
  EAI_AGAIN: (p) =>
    `the DNS lookup of '${p.name}' failed for now (EAI_AGAIN). Check the network connection and DNS${proxy(p)}`,
  ETIMEDOUT: (p) =>
    `connecting to ${p.host} timed out (ETIMEDOUT). Check the endpoint and that no firewall blocks it${proxy(p)}`,
  UND_ERR_CONNECT_TIMEOUT: (p) =>
    `connecting to ${p.host} timed out (UND_ERR_CONNECT_TIMEOUT). ` +
    `Check the endpoint and that no firewall blocks it${proxy(p)}`,
  EHOSTUNREACH: (p) =>
    `no route to ${p.host} (EHOSTUNREACH). Check the network connection and the endpoint${proxy(p)}`,
  ENETUNREACH: (p) =>
    `the network of ${p.host} is unreachable (ENETUNREACH). Check the network connection${proxy(p)}`,
  ECONNRESET: (p) =>
    `the connection to ${p.host} was reset (ECONNRESET). If it keeps happening, check the network, ` +
    'and any proxy or firewall in between',
  UND_ERR_SOCKET: (p) =>
    `the connection to ${p.host} was closed by the other side (UND_ERR_SOCKET). If it keeps happening, ` +
    'check the endpoint, and any proxy or firewall in between',
  UND_ERR_HEADERS_TIMEOUT: (p) =>
    `${p.host} sent no answer within the timeout (UND_ERR_HEADERS_TIMEOUT). Check the endpoint, or raise timeout`,
  UND_ERR_BODY_TIMEOUT: (p) =>
    `${p.host} stopped sending within the timeout (UND_ERR_BODY_TIMEOUT). Check the network, or raise timeout`,
  EPROTO: (p) =>
    `the TLS handshake with ${p.host} failed (EPROTO): it may speak plain http. ` +
    'Check the scheme of the endpoint (http:// or https://)',
  ERR_SSL_WRONG_VERSION_NUMBER: (p) =>
    `the TLS handshake with ${p.host} failed (ERR_SSL_WRONG_VERSION_NUMBER): it may speak plain http. ` +
    'Check the scheme of the endpoint (http:// or https://)',
};

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[?::1\]?)$/i;

const CODES = new Set(Object.keys(WORDING));

/** The code of a network failure this module words, anywhere in the cause chain; else undefined. */
export function networkCode(error: unknown): string | undefined {
  return findCode(error, CODES)?.code as string | undefined;
}

/**
 * One line for a failure to reach a server: the host (`origin`'s, else the error's), what
 * happened, and what to check. Undefined for anything that is not such a failure. `shallow`
 * looks at `error` itself only, not at its causes.
 */
export function describeNetworkFailure(error: unknown, origin?: string, shallow = false): string | undefined {
  const found = findCode(error, CODES, shallow ? 1 : 5);
  if (found === undefined) return undefined;
  let host: string | undefined;
  let name: string | undefined;
  if (origin !== undefined) {
    try {
      const url = new URL(origin);
      host = url.host;
      name = url.hostname;
    } catch {
      host = undefined;
    }
  }
  const own = typeof found.hostname === 'string' ? found.hostname : found.address;
  if (host === undefined && typeof own === 'string') {
    name = own;
    host = typeof found.port === 'number' ? `${own}:${found.port}` : own;
  }
  const place = {
    host: host ?? 'the server',
    name: name ?? host ?? 'the server',
    local: LOOPBACK.test(name ?? ''),
  };
  return (WORDING[found.code as string] as (place: Place) => string)(place);
}
