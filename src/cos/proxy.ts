// Which requests go through a proxy, from HTTPS_PROXY / HTTP_PROXY / NO_PROXY, by the rules the
// runner and @actions/http-client apply: so this tool, @actions/cache and the other steps of a job
// agree on what is proxied. Pure: the caller passes the environment. docs/adr/0009-proxies.md has the rules.
import { hasControlCharacter, quoteValue } from '../base/text.js';

/** The variables a proxy is read from, lowercase first (the runner and http-client order). */
export const PROXY_VARIABLES = {
  https: ['https_proxy', 'HTTPS_PROXY'],
  http: ['http_proxy', 'HTTP_PROXY'],
  noProxy: ['no_proxy', 'NO_PROXY'],
} as const;

export type ProxyVariable = (typeof PROXY_VARIABLES.https)[number] | (typeof PROXY_VARIABLES.http)[number];

export interface ProxyEndpoint {
  /** The proxy's origin without credentials, e.g. `http://proxy.corp:3128`. */
  readonly origin: string;
  /** `Basic …` for Proxy-Authorization when the URL carried credentials. A secret. */
  readonly authorization?: string;
  /** The proxy URL as it may be shown: user and password replaced by `***`. */
  readonly shown: string;
  /** The variable it came from, e.g. `HTTPS_PROXY`. */
  readonly variable: ProxyVariable;
  /** What must never be printed: the password, `user:password`, the Basic token. For masking. */
  readonly secrets: readonly string[];
}

/** A proxy variable that is set but unusable: thrown when a request would need it. */
export class ProxyConfigError extends Error {
  override readonly name = 'ProxyConfigError';
  readonly variable: ProxyVariable;

  // No `cause`: the errors of URL parsing carry the raw text, password included.
  constructor(variable: ProxyVariable, shown: string, rule: string) {
    super(
      `Environment variable ${variable} = ${quoteValue(shown)}: ${rule}. ` +
        `Fix: set it to the proxy's URL, e.g. 'http://proxy.corp:3128' (or 'http://user:password@proxy.corp:3128'), or unset it.`,
    );
    this.variable = variable;
  }
}

export interface ProxySettings {
  /** For https:// targets: the endpoint, or why the variable that is set cannot be used. */
  readonly https?: ProxyEndpoint | ProxyConfigError | undefined;
  /** For http:// targets. */
  readonly http?: ProxyEndpoint | ProxyConfigError | undefined;
  /** NO_PROXY entries: trimmed, upper-cased, empty ones dropped. */
  readonly noProxy: readonly string[];
}

export type ProxyEnv = Readonly<Record<string, string | undefined>>;

/** The first variable of `names` that is set and not empty (`||`, as http-client reads them). */
function firstSet<N extends string>(
  env: ProxyEnv,
  names: readonly N[],
): { name: N; value: string } | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

/**
 * `text` with the user-info of every URL in it replaced by `***`: everything from `scheme://` to
 * the last `@` of the word, so a password holding `@` or `/` (unencoded) does not leak either.
 */
export function redactUrlCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s'"]*@/gi, '$1***@');
}

function endpointFrom(variable: ProxyVariable, raw: string): ProxyEndpoint | ProxyConfigError {
  // A value without a scheme is an http proxy (`proxy.corp:3128`), as the runner reads it; http-client
  // would parse `proxy.corp:3128` as a URL of scheme `proxy.corp:` with no host and drop the proxy.
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  const shown = redactUrlCredentials(text);
  if (/\s/.test(text) || hasControlCharacter(text)) {
    return new ProxyConfigError(variable, shown, 'a URL must not hold spaces or control characters');
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return new ProxyConfigError(variable, shown, 'not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return new ProxyConfigError(
      variable,
      shown,
      `only http:// and https:// proxies are supported, not ${url.protocol}//`,
    );
  }
  if (url.hostname === '') return new ProxyConfigError(variable, shown, 'the URL names no host');
  let user: string;
  let password: string;
  try {
    user = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  } catch {
    return new ProxyConfigError(variable, shown, 'the user or password is not valid percent-encoding');
  }
  const hasCredentials = url.username !== '' || url.password !== '';
  const origin = `${url.protocol}//${url.host}`;
  if (!hasCredentials) return { origin, shown: origin, variable, secrets: [] };
  const token = Buffer.from(`${user}:${password}`).toString('base64');
  const secrets = [password, url.password, `${user}:${password}`, token].filter((s) => s !== '');
  return {
    origin,
    authorization: `Basic ${token}`,
    shown: `${url.protocol}//***@${url.host}`,
    variable,
    secrets: [...new Set(secrets)],
  };
}

/** Reads the proxy variables once. Bad values are kept as errors, thrown only if a request needs them. */
export function proxySettingsFrom(env: ProxyEnv): ProxySettings {
  const https = firstSet(env, PROXY_VARIABLES.https);
  const http = firstSet(env, PROXY_VARIABLES.http);
  const noProxy = firstSet(env, PROXY_VARIABLES.noProxy)?.value ?? '';
  return {
    https: https === undefined ? undefined : endpointFrom(https.name, https.value),
    http: http === undefined ? undefined : endpointFrom(http.name, http.value),
    noProxy: noProxy
      .split(',')
      .map((item) => item.trim().toUpperCase())
      .filter((item) => item !== ''),
  };
}

/**
 * Loopback targets never use a proxy: `localhost`, 127.x.x.x and [::1]. (http-client tests a
 * `127.` prefix of the host name, which would also send a DNS name like `127.example.com`
 * direct; here only the address literal is loopback.)
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '[::1]';
}

/**
 * True when `target` goes direct: loopback, or a NO_PROXY entry matches. An entry matches the
 * host or `host:port` exactly, any subdomain of it (`example.com` covers `a.example.com`), and
 * `.example.com` covers subdomains only; `*` matches everything. No CIDR ranges, as in http-client.
 */
export function bypassesProxy(target: URL, noProxy: readonly string[]): boolean {
  if (target.hostname === '') return false;
  if (isLoopbackHost(target.hostname)) return true;
  if (noProxy.length === 0) return false;
  const port =
    target.port !== ''
      ? Number(target.port)
      : target.protocol === 'http:'
        ? 80
        : target.protocol === 'https:'
          ? 443
          : undefined;
  const host = target.hostname.toUpperCase();
  const hosts = port === undefined ? [host] : [host, `${host}:${port}`];
  return noProxy.some(
    (item) =>
      item === '*' ||
      hosts.some((h) => h === item || h.endsWith(`.${item}`) || (item.startsWith('.') && h.endsWith(item))),
  );
}

/**
 * The proxy for requests to `target`, or undefined to go direct. https targets use HTTPS_PROXY
 * only, http targets HTTP_PROXY only (no fallback between them, as in http-client). Throws the
 * ProxyConfigError of a set but unusable variable that this target would need.
 */
export function proxyFor(target: string | URL, settings: ProxySettings): ProxyEndpoint | undefined {
  const url = typeof target === 'string' ? new URL(target) : target;
  const choice =
    url.protocol === 'https:' ? settings.https : url.protocol === 'http:' ? settings.http : undefined;
  if (choice === undefined || bypassesProxy(url, settings.noProxy)) return undefined;
  if (choice instanceof ProxyConfigError) throw choice;
  return choice;
}

/** Every secret the proxy settings hold (for masking before anything is logged). */
export function proxySecrets(settings: ProxySettings): string[] {
  const secrets = new Set<string>();
  for (const endpoint of [settings.https, settings.http]) {
    if (endpoint !== undefined && !(endpoint instanceof ProxyConfigError)) {
      for (const secret of endpoint.secrets) secrets.add(secret);
    }
  }
  return [...secrets];
}
