// Keyless credentials: the inputs that name a CAM role to assume with an OIDC token through STS
// AssumeRoleWithWebIdentity (role-arn, provider-id, role-session-name, role-duration, audience,
// sts-endpoint). Pure: every rule is checked here, before any request.
import { hasControlCharacter } from '../base/text.js';
import { InputError } from './errors.js';
import type { InputName } from './inputs.js';

export const DEFAULT_AUDIENCE = 'sts.tencentcloudapi.com';
export const DEFAULT_STS_ENDPOINT = 'https://sts.tencentcloudapi.com';
export const ROLE_DURATION = { default: 3600, min: 900, max: 43_200 } as const;
/**
 * STS takes 2 to 128 characters of `[\w+=,.@-]` (AssumeRole's documented rule; AssumeRoleWithWebIdentity
 * states none). The default stays within 64, which every STS dialect takes.
 */
export const ROLE_SESSION_NAME = { min: 2, max: 128, defaultMax: 64 } as const;
const SESSION_NAME_CHARS = /^[\w+=,.@-]+$/;

/** The inputs of keyless credentials. */
export const ROLE_INPUTS = [
  'role-arn',
  'provider-id',
  'role-session-name',
  'role-duration',
  'audience',
  'sts-endpoint',
] as const satisfies readonly InputName[];

export type RoleInputs = Partial<Record<(typeof ROLE_INPUTS)[number], string>>;

export interface RoleContext {
  /** `owner/name` (GITHUB_REPOSITORY), for the default session name. */
  readonly repository?: string | undefined;
  /** GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT, for the default session name. */
  readonly runId?: string | undefined;
  readonly runAttempt?: string | undefined;
  /** Whether secret-id / secret-key (or their environment variables) were given too: the two ways exclude each other. */
  readonly hasStaticCredentials: boolean;
  /**
   * Where those keys come from, for the message: `input 'secret-id'`, or `env TENCENTCLOUD_SECRET_ID`
   * (then the fix says to unset it for this step).
   */
  readonly staticCredentialsSource?: string | undefined;
}

/** What AssumeRoleWithWebIdentity needs, besides the token, and where to get the token for. */
export interface KeylessOptions {
  readonly roleArn: string;
  readonly providerId: string;
  readonly roleSessionName: string;
  readonly durationSeconds: number;
  /** The `aud` the OIDC token is asked for. */
  readonly audience: string;
  /** The STS base URL, without a trailing slash. */
  readonly stsEndpoint: string;
}

function given(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function noControls(input: InputName, value: string): void {
  if (hasControlCharacter(value) || /\s/.test(value)) {
    throw new InputError({
      input,
      value,
      rule: 'must not hold spaces, line breaks or control characters',
      fix: 'give the value alone, on one line',
    });
  }
}

/** `qcs::cam::uin/<account>:roleName/<name>` or `qcs::cam::uin/<account>:role/<id>`. */
export function parseRoleArn(value: string): string {
  noControls('role-arn', value);
  if (!/^qcs::cam::uin\/\d+:(roleName|role)\/[^/\s][^\s]*$/.test(value)) {
    throw new InputError({
      input: 'role-arn',
      value,
      rule: 'a role ARN is qcs::cam::uin/<account id>:roleName/<role name> (or :role/<role id>)',
      fix: "copy it from the role's page in the CAM console, e.g. 'qcs::cam::uin/100000000001:roleName/ci-download'",
    });
  }
  return value;
}

/** The name of the CAM OIDC identity provider. */
export function parseProviderId(value: string): string {
  noControls('provider-id', value);
  if (value.length > 128 || !SESSION_NAME_CHARS.test(value)) {
    throw new InputError({
      input: 'provider-id',
      value,
      rule: 'an identity provider name is 1 to 128 letters, digits and + = , . @ _ -',
      fix: "give the name of the OIDC identity provider in CAM, e.g. 'github-actions'",
    });
  }
  return value;
}

/** Whole seconds, 900..43200; default 3600. */
export function parseRoleDuration(value: string | undefined): number {
  const text = given(value);
  if (text === undefined) return ROLE_DURATION.default;
  const seconds = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
  if (!(seconds >= ROLE_DURATION.min && seconds <= ROLE_DURATION.max)) {
    throw new InputError({
      input: 'role-duration',
      value: text,
      rule: `a duration is whole seconds from ${ROLE_DURATION.min} (15 minutes) to ${ROLE_DURATION.max} (12 hours)`,
      fix: `e.g. '3600' for one hour${/[a-z]/i.test(text) ? ', written in seconds' : ''}`,
    });
  }
  return seconds;
}

/**
 * `gh-<owner>.<repo>-<run id>-<attempt>` within STS's characters and 64 characters: the repository
 * part is cut, never the run id. Outside GitHub (no repository or run id): `cos-download`.
 */
export function defaultRoleSessionName(
  context: Pick<RoleContext, 'repository' | 'runId' | 'runAttempt'>,
): string {
  const safe = (text: string) => text.replace(/[^\w+=,.@-]+/g, '-');
  const repository = given(context.repository);
  const runId = given(context.runId);
  if (repository === undefined || runId === undefined) return 'cos-download';
  const suffix = safe(`-${runId}-${given(context.runAttempt) ?? '1'}`).slice(0, 40);
  const head = safe(`gh-${repository.replace('/', '.')}`).slice(
    0,
    ROLE_SESSION_NAME.defaultMax - suffix.length,
  );
  return `${head}${suffix}`;
}

/** The given name, checked; else the default built from the repository and run. */
export function parseRoleSessionName(value: string | undefined, context: RoleContext): string {
  const text = given(value);
  if (text === undefined) return defaultRoleSessionName(context);
  noControls('role-session-name', text);
  if (
    text.length < ROLE_SESSION_NAME.min ||
    text.length > ROLE_SESSION_NAME.max ||
    !SESSION_NAME_CHARS.test(text)
  ) {
    throw new InputError({
      input: 'role-session-name',
      value: text,
      rule: `a session name is ${ROLE_SESSION_NAME.min} to ${ROLE_SESSION_NAME.max} letters, digits and + = , . @ _ -`,
      fix: "e.g. 'release-build', or leave it out for one built from the repository and run id",
    });
  }
  return text;
}

/** The `aud` of the OIDC token; default `sts.tencentcloudapi.com`. */
export function parseAudience(value: string | undefined): string {
  const text = given(value);
  if (text === undefined) return DEFAULT_AUDIENCE;
  noControls('audience', text);
  if (text.length > 256) {
    throw new InputError({
      input: 'audience',
      value: text,
      rule: 'at most 256 characters',
      fix: `give the client ID the CAM identity provider expects, e.g. '${DEFAULT_AUDIENCE}'`,
    });
  }
  return text;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i;

/**
 * The STS base URL; default `https://sts.tencentcloudapi.com`. https, except a loopback host (the
 * emulator's stand-in): the request carries the OIDC token, a bearer credential.
 */
export function parseStsEndpoint(value: string | undefined): string {
  const text = given(value);
  if (text === undefined) return DEFAULT_STS_ENDPOINT;
  const shown = text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/i, '$1***@');
  const refuse = (rule: string) =>
    new InputError({
      input: 'sts-endpoint',
      value: shown,
      rule,
      fix: `e.g. '${DEFAULT_STS_ENDPOINT}', or leave it out`,
    });
  noControls('sts-endpoint', shown);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refuse('not a URL');
  }
  if (url.username !== '' || url.password !== '') throw refuse('must not hold credentials');
  if (url.search !== '' || url.hash !== '') throw refuse('must not hold a query or a fragment');
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
    throw refuse('must be https: the request carries the OIDC token (plain http only to this machine)');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse('must be an https:// URL');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Keyless credentials, when role-arn (or any other input of this kind) is set; undefined otherwise. */
export function parseKeyless(raw: RoleInputs, context: RoleContext): KeylessOptions | undefined {
  const set = (Object.keys(raw) as (keyof RoleInputs)[]).filter((name) => given(raw[name]) !== undefined);
  if (set.length === 0) return undefined;
  const roleArn = given(raw['role-arn']);
  if (roleArn === undefined) {
    const others = set.map((name) => `'${name}'`).join(', ');
    throw new InputError({
      input: 'role-arn',
      rule: `keyless credentials need the role to assume, and ${others} ${set.length === 1 ? 'is' : 'are'} set without it`,
      fix: `set 'role-arn' (e.g. 'qcs::cam::uin/100000000001:roleName/ci-download'), or remove ${others}`,
    });
  }
  if (context.hasStaticCredentials) {
    const source = context.staticCredentialsSource;
    const fromEnv = source?.startsWith('env ') === true;
    throw new InputError({
      input: 'role-arn',
      value: roleArn,
      rule:
        "keyless credentials exclude 'secret-id' / 'secret-key' / 'session-token' and their environment variables" +
        (source === undefined ? '' : `, and ${source} is set`),
      fix: fromEnv
        ? `unset ${source.slice(4)} for this step (in a workflow: 'env: ${source.slice(4)}: ""') to assume the role, or remove 'role-arn' to use the keys`
        : "remove 'secret-id' and 'secret-key' to assume the role, or remove 'role-arn' to use the keys",
    });
  }
  const providerId = given(raw['provider-id']);
  if (providerId === undefined) {
    throw new InputError({
      input: 'provider-id',
      rule: "required with 'role-arn'",
      fix: "give the name of the CAM OIDC identity provider the role trusts, e.g. 'github-actions'",
    });
  }
  return {
    roleArn: parseRoleArn(roleArn),
    providerId: parseProviderId(providerId),
    roleSessionName: parseRoleSessionName(raw['role-session-name'], context),
    durationSeconds: parseRoleDuration(raw['role-duration']),
    audience: parseAudience(raw.audience),
    stsEndpoint: parseStsEndpoint(raw['sts-endpoint']),
  };
}
