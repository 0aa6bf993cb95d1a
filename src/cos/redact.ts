// Secrets out of text: known secret values, signature fields, and presigned links (a link is a
// credential: whoever holds it can read the object until it expires). Pure.
import { SECURITY_TOKEN, SIGNATURE_FIELDS } from './sign.js';

export const REDACTED = '***';

/**
 * Query parameters a link may show as they are: they say what is downloaded, not who may. Every
 * other parameter's value is redacted, so a signature of any store (COS `q-signature`, S3
 * `X-Amz-Signature`, OSS `Signature`, an Azure SAS `sig`, a CDN `sign` …) is cut without a list of them.
 */
const HARMLESS_PARAMS = new Set([
  'versionid',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-content-type',
  'response-expires',
  'x-cos-traffic-limit',
]);

/** A parameter name safe to show next to its redacted value (a long or odd name could be a token). */
const SHOWN_NAME = /^[A-Za-z0-9._~-]{1,64}$/;

const FIELD_PATTERN = new RegExp(
  `\\b(${[...SIGNATURE_FIELDS, SECURITY_TOKEN].join('|')})=[^&\\s"'<>]*`,
  'gi',
);

/** Absolute URLs in free text, up to the first character that cannot be in one. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

function decodedName(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return raw;
  }
}

/**
 * A URL as it may be logged, put in a message or stored in a checkpoint or manifest: scheme, host
 * and path as they are; credentials in the authority and the fragment dropped; `versionId`,
 * `response-*` and `x-cos-traffic-limit` kept; every other query parameter's value `***` (a
 * parameter without a value, or with an odd name, becomes `***` whole).
 *
 * `https://b.cos.r.myqcloud.com/a.zip?q-sign-algorithm=sha1&q-ak=AKID…&q-signature=…&versionId=v1`
 * → `https://b.cos.r.myqcloud.com/a.zip?q-sign-algorithm=***&q-ak=***&q-signature=***&versionId=v1`
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'an unparsable URL';
  }
  const authority = parsed.username !== '' || parsed.password !== '' ? `${REDACTED}@` : '';
  const origin = parsed.host === '' ? '' : `//${authority}${parsed.host}`;
  const pairs = parsed.search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      if (HARMLESS_PARAMS.has(decodedName(name).toLowerCase())) return pair;
      return eq === -1 || !SHOWN_NAME.test(name) ? REDACTED : `${name}=${REDACTED}`;
    });
  return `${parsed.protocol}${origin}${parsed.pathname}${pairs.length === 0 ? '' : `?${pairs.join('&')}`}`;
}

/**
 * `text` with every secret replaced by `***` (as given and URL-encoded), every URL with a query,
 * credentials or fragment passed through `redactUrl`, and any `q-*=` signature field or
 * `x-cos-security-token=` value outside a URL (an Authorization value echoed back) cut too.
 */
export function redactText(text: string, secrets: readonly (string | undefined)[] = []): string {
  let result = text;
  const known = secrets.filter((s): s is string => s !== undefined && s.length >= 4);
  // Longest first, so a secret inside another (a key id inside the Authorization value) goes with it.
  for (const secret of known.sort((a, b) => b.length - a.length)) {
    for (const form of new Set([secret, encodeURIComponent(secret)]))
      result = result.replaceAll(form, REDACTED);
  }
  result = result.replace(URL_IN_TEXT, (url) => (/[?#@]/.test(url) ? redactUrl(url) : url));
  return result.replace(FIELD_PATTERN, `$1=${REDACTED}`);
}

/** Parameters of a COS link that say how it is signed, not with what: redacted when shown, never masked. */
const SIGNING_STRUCTURE = new Set([
  'q-sign-algorithm',
  'q-sign-time',
  'q-key-time',
  'q-header-list',
  'q-url-param-list',
]);

/** Shorter values are left to `redactUrl`: masking `3600` or `sha1` would blank them in every log line. */
const MIN_MASKED = 8;

/**
 * What a log masker must hide of a link (a link is a credential): the URL as given and decoded, and
 * the value — raw and decoded — of every parameter that may be a signature, a key id or a token (any
 * but the harmless ones `redactUrl` shows and COS's signing structure), so a log line holding any
 * piece of it is masked too.
 */
export function linkSecrets(url: string): string[] {
  const secrets = new Set<string>([url]);
  const add = (value: string) => {
    if (value.length >= MIN_MASKED) secrets.add(value);
  };
  try {
    add(decodeURI(url));
  } catch {
    // Not valid percent-encoding: the URL as given is masked.
  }
  const query = url.indexOf('?');
  if (query === -1) return [...secrets];
  const fragment = url.indexOf('#', query);
  for (const pair of url.slice(query + 1, fragment === -1 ? undefined : fragment).split('&')) {
    const eq = pair.indexOf('=');
    const name = decodedName(eq === -1 ? pair : pair.slice(0, eq)).toLowerCase();
    if (eq === -1 || HARMLESS_PARAMS.has(name) || SIGNING_STRUCTURE.has(name)) continue;
    const raw = pair.slice(eq + 1);
    add(raw);
    add(decodedName(raw));
    try {
      add(decodeURIComponent(raw));
    } catch {
      // Kept raw only.
    }
  }
  return [...secrets];
}
