// Tencent Cloud STS, API 3.0: AssumeRoleWithWebIdentity trades an OIDC token (GitHub's, GitLab's)
// for temporary COS credentials. The call is not signed (`Authorization: SKIP`); the token is the
// proof. Goes through the same dispatcher as COS, so proxies and extra CAs apply.
import type { Dispatcher } from 'undici';
import { errorMessage } from '../base/error-message.js';
import { type Clock, type Logger, silentLogger, systemClock } from '../base/runtime.js';
import { readCapped } from './client.js';
import { RefreshingCredentials, type RefreshingDeps, type TemporaryCredentials } from './credentials.js';
import { createDispatcher, ProxyError, type TransportOptions } from './dispatcher.js';
import { isTransient, TlsError } from './errors.js';
import type { ProxyEndpoint } from './proxy.js';
import { type RetryPolicy, retryTransient } from './retry.js';

export const STS_ACTION = 'AssumeRoleWithWebIdentity';
export const STS_VERSION = '2018-08-13';

export interface StsClientOptions {
  /** e.g. `https://sts.tencentcloudapi.com` (the `sts-endpoint` input, parsed). */
  readonly endpoint: string;
  /** `X-TC-Region`, e.g. the bucket's region. */
  readonly region: string;
  readonly timeoutMs: number;
  /** Retries of transient failures (network, 5xx, rate limits, InternalError); default 2. */
  readonly retries?: number;
  readonly transport?: TransportOptions | undefined;
}

export interface StsDeps {
  readonly clock?: Clock | undefined;
  readonly logger?: Logger | undefined;
  readonly random?: (() => number) | undefined;
  readonly retryBaseMs?: number | undefined;
}

/** The role to assume and how; everything AssumeRoleWithWebIdentity takes but the token. */
export interface WebIdentityRole {
  /** e.g. `qcs::cam::uin/100000000001:roleName/ci-download`. */
  readonly roleArn: string;
  /** The CAM OIDC identity provider's name. */
  readonly providerId: string;
  readonly roleSessionName: string;
  /** 900..43200. */
  readonly durationSeconds: number;
}

/** An answer of STS that is not credentials. The message is one line; no token is in it. */
export class StsError extends Error {
  override readonly name = 'StsError';
  /** The API's error code (`InvalidParameter.WebIdentityTokenError`), or `HTTP<status>` / `BadResponse`. */
  readonly code: string;
  readonly requestId: string | undefined;
  readonly transient: boolean;

  constructor(
    message: string,
    code: string,
    requestId: string | undefined,
    transient: boolean,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.requestId = requestId;
    this.transient = transient;
  }
}

/** What to do about an STS error code (and its message, for the expired-token case). */
export function stsHint(code: string, message: string): string {
  if (code === 'InvalidParameter.WebIdentityTokenError' || /web ?identity ?token/i.test(message)) {
    if (/expire/i.test(message)) {
      return 'the OIDC token had expired when STS checked it: use a fresh one (GitHub issues it right before the call; a --web-identity-token-file must be current)';
    }
    return "STS did not accept the OIDC token: check that 'provider-id' names the CAM OIDC identity provider whose issuer and client ID match the token's iss and aud (see 'audience')";
  }
  if (code === 'InvalidParameter.OverTimeError') {
    return "'role-duration' is above the role's maximum session duration: lower it, or raise the maximum in CAM";
  }
  if (
    code === 'InvalidParameter.OverLimit' ||
    code === 'RequestLimitExceeded' ||
    code.startsWith('LimitExceeded')
  ) {
    return 'STS limits this API to 20 requests a second: try again later';
  }
  if (code === 'ResourceNotFound.RoleNotFound') return "no such role: check 'role-arn'";
  if (code.startsWith('InvalidParameter') || code === 'MissingParameter') {
    return "check 'role-arn' (qcs::cam::uin/<account>:roleName/<role>), 'provider-id', 'role-session-name' and 'role-duration'";
  }
  if (code.startsWith('AuthFailure') || code.startsWith('UnauthorizedOperation')) {
    return "the role does not trust this identity: in CAM, let the role named by 'role-arn' trust the OIDC provider 'provider-id', with conditions this token's claims meet (e.g. its sub names this repository)";
  }
  if (code.startsWith('InternalError')) return 'a failure inside STS: try again later';
  return 'see the error codes of AssumeRoleWithWebIdentity in the STS API documentation';
}

const TRANSIENT_CODES = /^(InternalError|RequestLimitExceeded|InvalidParameter\.OverLimit|LimitExceeded)/;

/** Text the server sent, made safe for a one-line message: no token, no line breaks, not too long. */
function clean(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) if (secret.length >= 8) result = result.replaceAll(secret, '***');
  // Anything shaped like a JWT (three base64url parts) goes too: an echo of some other token.
  result = result.replace(/\beyJ[\w-]*\.[\w-]+\.[\w-]*/g, '***');
  let line = '';
  for (const char of result.slice(0, 500)) {
    const code = char.charCodeAt(0);
    line += code <= 0x1f || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029 ? ' ' : char;
  }
  return line;
}

interface StsAnswer {
  readonly Response?: {
    readonly Credentials?: {
      readonly TmpSecretId?: unknown;
      readonly TmpSecretKey?: unknown;
      readonly Token?: unknown;
    };
    readonly ExpiredTime?: unknown;
    readonly Expiration?: unknown;
    readonly RequestId?: unknown;
    readonly Error?: { readonly Code?: unknown; readonly Message?: unknown };
  };
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

export class StsClient {
  readonly #endpoint: URL;
  readonly #region: string;
  readonly #dispatcher: Dispatcher;
  readonly #proxy: ProxyEndpoint | undefined;
  readonly #clock: Clock;
  readonly #retry: RetryPolicy;

  constructor(options: StsClientOptions, deps: StsDeps = {}) {
    this.#endpoint = new URL(options.endpoint);
    this.#region = options.region;
    const route = createDispatcher(this.#endpoint.origin, {
      connections: 2,
      timeoutMs: options.timeoutMs,
      ...options.transport,
    });
    this.#dispatcher = route.dispatcher;
    this.#proxy = route.proxy;
    this.#clock = deps.clock ?? systemClock;
    this.#retry = {
      attempts: (options.retries ?? 2) + 1,
      clock: this.#clock,
      logger: deps.logger ?? silentLogger,
      random: deps.random ?? Math.random,
      baseMs: deps.retryBaseMs ?? 500,
      capMs: 10_000,
      timeoutMs: options.timeoutMs,
    };
  }

  /** Temporary credentials for `role`, proven by `webIdentityToken`. Throws StsError (one line). */
  async assumeRoleWithWebIdentity(
    role: WebIdentityRole,
    webIdentityToken: string,
    signal?: AbortSignal,
  ): Promise<TemporaryCredentials> {
    const context = `STS ${STS_ACTION} (role '${role.roleArn}', provider '${role.providerId}')`;
    // An StsError says whether it is worth another attempt (its `transient`), which retryTransient reads.
    return retryTransient(this.#retry, STS_ACTION, signal, () =>
      this.#once(role, webIdentityToken, context, signal),
    );
  }

  async #once(
    role: WebIdentityRole,
    token: string,
    context: string,
    signal: AbortSignal | undefined,
  ): Promise<TemporaryCredentials> {
    const body = JSON.stringify({
      ProviderId: role.providerId,
      WebIdentityToken: token,
      RoleArn: role.roleArn,
      RoleSessionName: role.roleSessionName,
      DurationSeconds: role.durationSeconds,
    });
    const origin = this.#endpoint.origin;
    const response = await this.#dispatcher
      .request({
        origin,
        path: this.#endpoint.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-tc-action': STS_ACTION,
          'x-tc-version': STS_VERSION,
          'x-tc-region': this.#region,
          'x-tc-timestamp': String(Math.floor(this.#clock.now() / 1000)),
          authorization: 'SKIP',
        },
        body,
        signal: signal ?? null,
      })
      .catch((error: unknown) => {
        const wrapped = TlsError.from(error, origin, context) ?? ProxyError.from(error, this.#proxy, context);
        if (wrapped !== undefined) throw wrapped;
        throw new StsError(
          `${context}: ${origin} could not be reached (${clean(errorMessage(error), [token])})`,
          'Network',
          undefined,
          isTransient(error),
          error,
        );
      });
    const refused = ProxyError.refused(response.statusCode, this.#proxy, context);
    if (refused !== undefined) {
      await response.body.dump();
      throw refused;
    }
    const raw = await readCapped(response.body, 64 * 1024);
    const status = response.statusCode;
    let answer: StsAnswer;
    try {
      answer = JSON.parse(raw) as StsAnswer;
    } catch {
      throw new StsError(
        `${context}: ${origin} answered ${status} with something other than the API's JSON. ` +
          "Fix: check 'sts-endpoint' (e.g. https://sts.tencentcloudapi.com) and any proxy in between",
        `HTTP${status}`,
        undefined,
        status >= 500 || status === 429,
      );
    }
    const reply = answer?.Response;
    const requestId = text(reply?.RequestId);
    const id = requestId === undefined ? '' : ` (request id ${clean(requestId, [token])})`;
    const apiError = reply?.Error;
    if (apiError !== undefined) {
      const code = clean(text(apiError.Code) ?? 'UnknownError', [token]);
      const message = clean(text(apiError.Message) ?? 'no message', [token]);
      throw new StsError(
        `${context}: ${code}: ${message}${id}. Fix: ${stsHint(code, message)}`,
        code,
        requestId,
        TRANSIENT_CODES.test(code),
      );
    }
    const credentials = reply?.Credentials;
    const secretId = text(credentials?.TmpSecretId);
    const secretKey = text(credentials?.TmpSecretKey);
    const sessionToken = text(credentials?.Token);
    const expiresAt = expiryOf(reply?.ExpiredTime, reply?.Expiration);
    if (
      status !== 200 ||
      secretId === undefined ||
      secretKey === undefined ||
      sessionToken === undefined ||
      expiresAt === undefined
    ) {
      throw new StsError(
        `${context}: ${origin} answered ${status} without Credentials {TmpSecretId, TmpSecretKey, Token} and ExpiredTime${id}. ` +
          "Fix: check 'sts-endpoint' (e.g. https://sts.tencentcloudapi.com)",
        status === 200 ? 'BadResponse' : `HTTP${status}`,
        requestId,
        status >= 500 || status === 429,
      );
    }
    return { secretId, secretKey, sessionToken, expiresAt };
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }
}

/** `ExpiredTime` (Unix seconds) or else `Expiration` (ISO 8601), in milliseconds. */
function expiryOf(expiredTime: unknown, expiration: unknown): number | undefined {
  const seconds =
    typeof expiredTime === 'number'
      ? expiredTime
      : typeof expiredTime === 'string'
        ? Number(expiredTime)
        : Number.NaN;
  if (Number.isSafeInteger(seconds) && seconds > 0) return seconds * 1000;
  const date = typeof expiration === 'string' ? Date.parse(expiration) : Number.NaN;
  return Number.isNaN(date) ? undefined : date;
}

export interface StsCredentialsOptions {
  readonly sts: StsClient;
  readonly role: WebIdentityRole;
  /** A current OIDC token, asked for again at every renewal (GitHub's expire within minutes). */
  readonly webIdentityToken: (signal?: AbortSignal) => Promise<string>;
}

/** Credentials from STS for `role`, renewed before `ExpiredTime`; each secret masked as it arrives. */
export function stsCredentials(
  options: StsCredentialsOptions,
  deps: RefreshingDeps = {},
): RefreshingCredentials {
  return new RefreshingCredentials(
    async (signal) => {
      const token = await options.webIdentityToken(signal);
      deps.mask?.(token);
      return options.sts.assumeRoleWithWebIdentity(options.role, token, signal);
    },
    { ...deps, source: deps.source ?? `STS role '${options.role.roleArn}'` },
  );
}
