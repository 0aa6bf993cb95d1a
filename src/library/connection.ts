// How the library's calls sign their requests and reach COS: fixed keys, a credentials provider of
// the caller's, or a CAM role assumed with an OIDC token through STS; a proxy. The library reads no
// environment variable: whatever the caller wants from `process.env`, it passes here.
import type { Credentials as SigningCredentials } from '../base/request.js';
import type { InputName } from '../config/inputs.js';
import type { RawInputs } from '../config/parse.js';
import type { RunDeps } from '../core/download.js';
import type { CredentialsProvider as ClientCredentialsProvider } from '../cos/credentials.js';
import { ProxyConfigError, proxySettingsFrom } from '../cos/proxy.js';
import { OptionError } from './errors.js';
import { wrongType } from './option-values.js';

/**
 * A Tencent Cloud API key (CAM → API keys), or temporary credentials from STS with their token.
 * Never logged, never part of an error message.
 */
export interface Credentials {
  /** The SecretId, e.g. `AKID…`. */
  readonly secretId: string;
  /** The SecretKey. */
  readonly secretKey: string;
  /** The session token of temporary credentials. */
  readonly sessionToken?: string | undefined;
}

/**
 * Credentials you fetch and renew yourself (your own STS call, a vault): asked for before every
 * request, so it can hand out new ones before the old expire. `undefined` sends the request unsigned.
 */
export interface CredentialsProvider {
  /** The credentials to sign the next request with. Called often: cache them until they are about to expire. */
  current(signal?: AbortSignal): Promise<Credentials | undefined>;
}

/**
 * Keyless credentials: the CAM role `roleArn` assumed through STS `AssumeRoleWithWebIdentity` with an
 * OIDC token (GitHub's, GitLab's, your CI's), trusted by the CAM identity provider `providerId`. The
 * temporary credentials are renewed before they expire, with a fresh token each time.
 */
export interface WebIdentityCredentials {
  /** The role to assume, e.g. `qcs::cam::uin/100000000001:roleName/ci-download`. */
  readonly roleArn: string;
  /** The name of the CAM OIDC identity provider the role trusts, e.g. `github-actions`. */
  readonly providerId: string;
  /** Returns a current OIDC token; called again at every renewal (such tokens expire within minutes). */
  readonly webIdentityToken: (signal?: AbortSignal) => Promise<string>;
  /** The session name, 2..128 of letters, digits and `+=,.@_-`. Default `cos-download`. */
  readonly roleSessionName?: string | undefined;
  /** Lifetime of the temporary credentials in seconds, 900..43200. Default 3600. */
  readonly durationSeconds?: number | undefined;
  /** Default `https://sts.tencentcloudapi.com`; plain http only to this machine. */
  readonly stsEndpoint?: string | undefined;
}

/**
 * The proxy requests go through, as `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` would say it (to use
 * those variables, pass them: `{ https: process.env.HTTPS_PROXY, noProxy: process.env.NO_PROXY }`).
 */
export interface ProxyOptions {
  /** For https:// endpoints (COS, STS): `http://proxy.corp:3128`, or `http://user:password@proxy.corp:3128`. */
  readonly https?: string | undefined;
  /** For http:// endpoints. */
  readonly http?: string | undefined;
  /**
   * Hosts that go direct: `example.com` (and its subdomains), `.example.com` (subdomains only),
   * `host:port`, or `*`; an array or comma-separated text. Loopback always goes direct.
   */
  readonly noProxy?: string | readonly string[] | undefined;
}

/** Library option names of the inputs inside `credentials`. */
export const CREDENTIAL_OPTIONS: Readonly<Partial<Record<InputName, string>>> = {
  'secret-id': 'credentials.secretId',
  'secret-key': 'credentials.secretKey',
  'session-token': 'credentials.sessionToken',
  'role-arn': 'credentials.roleArn',
  'provider-id': 'credentials.providerId',
  'role-session-name': 'credentials.roleSessionName',
  'role-duration': 'credentials.durationSeconds',
  'sts-endpoint': 'credentials.stsEndpoint',
};

type Field = readonly [field: string, input: InputName, required: boolean];

const KEY_FIELDS: readonly Field[] = [
  ['secretId', 'secret-id', true],
  ['secretKey', 'secret-key', true],
  ['sessionToken', 'session-token', false],
];

const ROLE_FIELDS: readonly Field[] = [
  ['roleArn', 'role-arn', true],
  ['providerId', 'provider-id', true],
  ['roleSessionName', 'role-session-name', false],
  ['durationSeconds', 'role-duration', false],
  ['stsEndpoint', 'sts-endpoint', false],
];

/** An OptionError whose message is `<head>: <rule>. Fix: <fix>.`, or `<head> <rule>. …` with `joined`. */
function problem(option: string, head: string, rule: string, fix: string, joined = ': '): OptionError {
  return new OptionError({ option, message: `${head}${joined}${rule}. Fix: ${fix}.`, rule, fix });
}

/** A credentials provider (an object with `current()`), not fixed keys or a role. */
export function isProvider(value: unknown): value is CredentialsProvider {
  return typeof (value as { current?: unknown } | null)?.current === 'function';
}

function isWebIdentity(value: unknown): value is WebIdentityCredentials {
  return typeof value === 'object' && value !== null && 'roleArn' in value;
}

/** The raw inputs `credentials` stands for: keys, or a role to assume; none for a provider. */
export function credentialInputs(value: unknown): RawInputs {
  if (value === undefined || isProvider(value)) return {};
  if (typeof value !== 'object' || value === null) {
    throw wrongType('credentials', value, 'must be { secretId, secretKey, sessionToken? }', 'pass an object');
  }
  const keyless = isWebIdentity(value);
  const fields = keyless ? ROLE_FIELDS : KEY_FIELDS;
  const names = keyless
    ? 'keyless credentials are roleArn, providerId, webIdentityToken, roleSessionName, durationSeconds and stsEndpoint'
    : 'credentials are secretId, secretKey and sessionToken';
  const known = new Set<string>([
    ...fields.map(([field]) => field),
    ...(keyless ? ['webIdentityToken'] : []),
  ]);
  for (const field of Object.keys(value)) {
    if (!known.has(field)) {
      const option = `credentials.${field}`;
      throw problem(option, `Option '${option}' is not a credential field`, names, `remove '${field}'`);
    }
  }
  const given = value as Record<string, unknown>;
  if (keyless && typeof given.webIdentityToken !== 'function') {
    throw problem(
      'credentials.webIdentityToken',
      "Option 'credentials.webIdentityToken'",
      'must be a function that returns a current OIDC token',
      "e.g. webIdentityToken: async () => (await readFile(tokenFile, 'utf8')).trim()",
    );
  }
  const raw: RawInputs = {};
  for (const [field, input, required] of fields) {
    const option = `credentials.${field}`;
    const text =
      field === 'durationSeconds' && typeof given[field] === 'number' ? String(given[field]) : given[field];
    if (text === undefined && !required) continue;
    if (typeof text !== 'string' || text.trim() === '') {
      // Often an unset environment variable: say so rather than fall back to anonymous access.
      const rule =
        typeof text === 'string' || text === undefined
          ? `is ${text === undefined ? 'not set' : 'empty'} though 'credentials' is given`
          : `must be a ${field === 'durationSeconds' ? 'number' : 'string'}`;
      const fix = keyless
        ? 'pass the value'
        : "pass the value, or leave 'credentials' out for anonymous access";
      throw problem(option, `Option '${option}'`, rule, fix, ' ');
    }
    raw[input] = text;
  }
  return raw;
}

/** The caller's provider, as the COS client asks it: each answer checked, then passed on. */
function clientProvider(provider: CredentialsProvider): ClientCredentialsProvider {
  return {
    current: async (signal) => {
      const answer = await provider.current(signal);
      if (answer === undefined) return undefined;
      const { secretId, secretKey, sessionToken } = answer;
      if (
        typeof secretId !== 'string' ||
        secretId === '' ||
        typeof secretKey !== 'string' ||
        secretKey === ''
      ) {
        throw new TypeError('credentials.current() answered without a secretId and a secretKey (strings)');
      }
      const credentials: SigningCredentials = {
        secretId,
        secretKey,
        sessionToken: typeof sessionToken === 'string' && sessionToken !== '' ? sessionToken : undefined,
      };
      return credentials;
    },
  };
}

const PROXY_FIELDS = new Set(['https', 'http', 'noProxy']);

/** The proxy settings `proxy` gives; each URL is checked now, not when a request needs it. */
function proxyDeps(value: unknown): Pick<RunDeps, 'proxy'> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null) {
    throw wrongType(
      'proxy',
      value,
      'must be { https?, http?, noProxy? }',
      "e.g. { https: 'http://proxy.corp:3128' }",
    );
  }
  for (const field of Object.keys(value)) {
    if (!PROXY_FIELDS.has(field)) {
      throw problem(
        `proxy.${field}`,
        `Option 'proxy.${field}' is not a proxy field`,
        'the proxy fields are https, http and noProxy',
        `remove '${field}'`,
      );
    }
  }
  const { https, http, noProxy } = value as Record<string, unknown>;
  for (const [field, text] of [
    ['https', https],
    ['http', http],
  ] as const) {
    if (text !== undefined && typeof text !== 'string') {
      throw wrongType(
        `proxy.${field}`,
        '(not shown)',
        'must be a URL (a string)',
        "e.g. 'http://proxy.corp:3128'",
      );
    }
  }
  const list = Array.isArray(noProxy) ? noProxy : noProxy === undefined ? [] : [noProxy];
  if (!list.every((item) => typeof item === 'string')) {
    throw wrongType(
      'proxy.noProxy',
      noProxy,
      'must be host names (a string or an array of strings)',
      "e.g. ['.corp.example']",
    );
  }
  const settings = proxySettingsFrom({
    HTTPS_PROXY: https as string | undefined,
    HTTP_PROXY: http as string | undefined,
    NO_PROXY: list.join(','),
  });
  for (const [field, endpoint] of [
    ['https', settings.https],
    ['http', settings.http],
  ] as const) {
    if (endpoint instanceof ProxyConfigError) {
      // `Environment variable HTTPS_PROXY = '…': rule. Fix: …` retold for the option; the shown URL hides its password.
      const told = /^Environment variable \w+ = (.*?): (.*)\. Fix: (.*)\.$/.exec(endpoint.message);
      const rule = told?.[2] ?? 'not a usable proxy URL';
      const fix = (told?.[3] ?? "set it to the proxy's URL").replace(', or unset it', ', or leave it out');
      throw problem(`proxy.${field}`, `Option 'proxy.${field}' = ${told?.[1] ?? '(hidden)'}`, rule, fix);
    }
  }
  return { proxy: settings };
}

/** What the core takes besides the parsed options: the proxy, and a provider's or a role's credentials. */
export function connectionDeps(options: {
  readonly credentials?: unknown;
  readonly proxy?: unknown;
}): Pick<RunDeps, 'proxy' | 'webIdentityToken' | 'client'> {
  const proxy = proxyDeps(options.proxy);
  const credentials = options.credentials;
  if (isProvider(credentials)) return { ...proxy, client: { credentials: clientProvider(credentials) } };
  if (isWebIdentity(credentials)) return { ...proxy, webIdentityToken: credentials.webIdentityToken };
  return proxy;
}
