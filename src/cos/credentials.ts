// Where the COS client gets the credentials it signs each request with: fixed ones (or none), or
// temporary ones that are fetched again before they expire (STS, see sts.ts).
import { errorMessage } from '../base/error-message.js';
import type { Credentials } from '../base/request.js';
import { type Clock, type Logger, silentLogger, systemClock } from '../base/runtime.js';

export interface CredentialsProvider {
  /** The credentials to sign the next request with; undefined = anonymous. */
  current(signal?: AbortSignal): Promise<Credentials | undefined>;
}

/** Always the same credentials (or always anonymous). */
export function staticCredentials(credentials: Credentials | undefined): CredentialsProvider {
  const value = Promise.resolve(credentials);
  return { current: () => value };
}

/**
 * Getting the credentials failed, so the request was never sent. The source retried already (STS
 * does), so the request's own retries do not: retries stay one layer deep.
 */
export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
  readonly transient = false;

  constructor(cause: unknown) {
    super(errorMessage(cause), { cause });
  }
}

export interface TemporaryCredentials extends Credentials {
  readonly sessionToken: string;
  /** When COS stops accepting them, in milliseconds since the epoch. */
  readonly expiresAt: number;
}

export interface RefreshingDeps {
  readonly clock?: Pick<Clock, 'now'> | undefined;
  readonly logger?: Logger | undefined;
  /** Called with each secret of new credentials before they are used (the action: core.setSecret). */
  readonly mask?: ((secret: string) => void) | undefined;
  /** Fetch new credentials this long before expiry; default 5 minutes, at most half their lifetime. */
  readonly refreshMarginMs?: number | undefined;
  /** After a failed refresh, keep using the old credentials this long before asking again; default 30 s. */
  readonly retryAfterMs?: number | undefined;
  /** Stops a fetch in progress (the run's signal). */
  readonly signal?: AbortSignal | undefined;
  /** For log lines, e.g. `STS role qcs::cam::uin/1:roleName/ci`. */
  readonly source?: string | undefined;
}

export const REFRESH_MARGIN_MS = 5 * 60_000;

interface Held {
  readonly credentials: TemporaryCredentials;
  readonly refreshAt: number;
}

/**
 * Temporary credentials, fetched on first use and again before they expire. Concurrent requests
 * share one fetch. A failed refresh while the old credentials still hold is a warning (they are
 * used until they expire); once they have expired, the failure is the request's.
 */
export class RefreshingCredentials implements CredentialsProvider {
  readonly #fetch: (signal?: AbortSignal) => Promise<TemporaryCredentials>;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #logger: Logger;
  readonly #mask: (secret: string) => void;
  readonly #margin: number;
  readonly #retryAfter: number;
  readonly #signal: AbortSignal | undefined;
  readonly #source: string;
  #held: Held | undefined;
  #pending: Promise<Held> | undefined;
  #nextAttempt = 0;
  /** How many times credentials were fetched. */
  fetches = 0;

  constructor(fetch: (signal?: AbortSignal) => Promise<TemporaryCredentials>, deps: RefreshingDeps = {}) {
    this.#fetch = fetch;
    this.#clock = deps.clock ?? systemClock;
    this.#logger = deps.logger ?? silentLogger;
    this.#mask = deps.mask ?? (() => {});
    this.#margin = deps.refreshMarginMs ?? REFRESH_MARGIN_MS;
    this.#retryAfter = deps.retryAfterMs ?? 30_000;
    this.#signal = deps.signal;
    this.#source = deps.source ?? 'temporary credentials';
  }

  async current(signal?: AbortSignal): Promise<Credentials> {
    const now = this.#clock.now();
    const held = this.#held;
    if (
      held !== undefined &&
      (now < held.refreshAt || (now < this.#nextAttempt && now < held.credentials.expiresAt))
    ) {
      return held.credentials;
    }
    this.#pending ??= this.#renew().finally(() => {
      this.#pending = undefined;
    });
    try {
      return (await abortable(this.#pending, signal)).credentials;
    } catch (error: unknown) {
      if (signal?.aborted) throw error;
      const still = this.#held;
      if (still !== undefined && this.#clock.now() < still.credentials.expiresAt) {
        return still.credentials;
      }
      throw error instanceof CredentialsError ? error : new CredentialsError(error);
    }
  }

  async #renew(): Promise<Held> {
    const before = this.#clock.now();
    let credentials: TemporaryCredentials;
    try {
      credentials = await this.#fetch(this.#signal);
    } catch (error: unknown) {
      const held = this.#held;
      if (held !== undefined && this.#clock.now() < held.credentials.expiresAt) {
        this.#nextAttempt = this.#clock.now() + this.#retryAfter;
        this.#logger.warning(
          `${this.#source}: renewing the credentials failed (${errorMessage(error)}); the current ones hold until ` +
            `${new Date(held.credentials.expiresAt).toISOString()}, retrying in ${Math.round(this.#retryAfter / 1000)} s`,
        );
      }
      throw error;
    }
    for (const secret of [credentials.secretId, credentials.secretKey, credentials.sessionToken])
      this.#mask(secret);
    const now = this.#clock.now();
    if (credentials.expiresAt <= now) {
      throw new Error(
        `${this.#source}: the credentials expire at ${new Date(credentials.expiresAt).toISOString()}, ` +
          `before the local time ${new Date(now).toISOString()}. Fix: sync this machine's clock (NTP)`,
      );
    }
    const lifetime = credentials.expiresAt - before;
    const refreshAt = credentials.expiresAt - Math.min(this.#margin, Math.max(lifetime, 0) / 2);
    const renewed = this.#held !== undefined;
    this.#held = { credentials, refreshAt };
    this.#nextAttempt = 0;
    this.fetches += 1;
    this.#logger.info(
      `${this.#source}: ${renewed ? 'renewed the' : 'got'} temporary credentials, valid until ` +
        `${new Date(credentials.expiresAt).toISOString()}`,
    );
    return this.#held;
  }
}

/** `promise`, or a rejection as soon as `signal` aborts (the promise itself goes on for others). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
