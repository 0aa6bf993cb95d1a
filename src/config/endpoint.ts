// The base URL requests go to: the COS domain of the bucket's region, the acceleration domain, or a
// user-given URL (template or plain). Pure: no DNS, no I/O.
import { InputError } from './errors.js';

export const DEFAULT_ENDPOINT = 'https://{bucket}.cos.{region}.myqcloud.com';
export const ACCELERATE_ENDPOINT = 'https://{bucket}.cos.accelerate.myqcloud.com';

export interface EndpointSpec {
  /** Already validated `BucketName-APPID`. */
  readonly bucket: string;
  /** Already validated region; needed when the template holds `{region}`. */
  readonly region?: string | undefined;
  /** The `endpoint` input: a template with `{bucket}` / `{region}`, or a plain URL. */
  readonly endpoint?: string | undefined;
  readonly accelerate: boolean;
}

const ENDPOINT_FIX = "e.g. 'https://{bucket}.cos.{region}.myqcloud.com' or 'http://127.0.0.1:9000'";

/** The endpoint as it may be shown: credentials in the authority replaced by `***`. */
function shown(endpoint: string): string {
  return endpoint.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@');
}

function endpointError(endpoint: string, rule: string, fix = ENDPOINT_FIX): InputError {
  return new InputError({ input: 'endpoint', value: shown(endpoint), rule, fix });
}

/** Resolves the base URL (no trailing slash) for the bucket. Throws InputError. */
export function resolveEndpoint(spec: EndpointSpec): string {
  const { bucket, region, endpoint, accelerate } = spec;
  if (accelerate && endpoint !== undefined) {
    throw new InputError({
      input: 'accelerate',
      value: 'true',
      rule: `the acceleration domain cannot be combined with a custom 'endpoint' (${shown(endpoint)})`,
      fix: "remove 'endpoint', or set 'accelerate: false'",
    });
  }
  const template = accelerate ? ACCELERATE_ENDPOINT : (endpoint ?? DEFAULT_ENDPOINT);
  if (/\s/.test(template)) throw endpointError(template, 'a URL must not contain spaces or line breaks');
  if (template.includes('{region}') && region === undefined) {
    throw new InputError({
      input: 'region',
      rule:
        endpoint === undefined
          ? `required for the default endpoint ${DEFAULT_ENDPOINT}`
          : `required because 'endpoint' contains {region}`,
      fix: "set the bucket's region, e.g. 'ap-guangzhou'",
    });
  }
  const text = template.replaceAll('{bucket}', bucket).replaceAll('{region}', region ?? '');
  if (/[{}]/.test(text)) {
    throw endpointError(template, 'the only placeholders are {bucket} and {region}');
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch (error: unknown) {
    throw new InputError({
      input: 'endpoint',
      value: shown(template),
      rule: 'must be an absolute http:// or https:// URL',
      fix: ENDPOINT_FIX,
      cause: error,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw endpointError(template, `the scheme must be http or https, not ${url.protocol.slice(0, -1)}`);
  }
  if (url.username !== '' || url.password !== '' || /^[^/]*\/\/[^/?#]*@/.test(text)) {
    throw endpointError(
      template,
      'must not hold credentials',
      "remove 'user:password@' and pass 'secret-id' / 'secret-key' instead",
    );
  }
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(text)) {
    throw endpointError(template, 'must not hold a query (?…) or fragment (#…)');
  }
  if (url.hostname === '') throw endpointError(template, 'must name a host');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** True when the URL's host is this machine (localhost, 127.0.0.0/8, ::1), e.g. the emulator. */
export function isLoopbackHost(url: string | URL): boolean {
  let host: string;
  try {
    host = (typeof url === 'string' ? new URL(url) : url).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (/^127(?:\.\d{1,3}){3}$/.test(host)) return true;
  return host === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host);
}

/**
 * The warning for a resolved endpoint that talks plain http to another machine: signatures, object
 * bytes and any SSE-C key would cross the network unencrypted. Undefined for https and for this
 * machine (the emulator).
 */
export function plainHttpWarning(endpoint: string): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' || isLoopbackHost(url)) return undefined;
  const secure = `https://${url.host}${url.pathname.replace(/\/+$/, '')}`;
  return (
    `The endpoint ${url.origin} uses plain http: requests, signatures and downloaded bytes cross the network ` +
    `unencrypted and can be read or altered on the way. Use https (e.g. '${secure}') unless this network is trusted`
  );
}
