// The one layer of retries every request goes through (ADR 0003): transient failures only, full-jitter
// exponential backoff on an injected clock, a Retry-After honoured within the timeout, and — for a
// client that signs its own requests — a RequestTimeTooSkewed answer corrects the clock and retries
// at once. Shared by the COS client and the link client, so both retry alike.
import { errorMessage } from '../base/error-message.js';
import type { Clock, Logger } from '../base/runtime.js';
import { CosError, isTransient, retryAfterMs } from './errors.js';

export interface RetryPolicy {
  /** Attempts in all: `retries` + 1. */
  readonly attempts: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Uniform in [0, 1): the jitter. */
  readonly random: () => number;
  readonly baseMs: number;
  readonly capMs: number;
  /** The request's idle timeout: a Retry-After longer than this is not waited for. */
  readonly timeoutMs: number;
  /**
   * Learns the server's clock from a RequestTimeTooSkewed answer; returns the new offset in ms, or
   * undefined when the answer had no usable Date. Absent: such an answer is final (a link's signature
   * window is fixed when it is made, so a corrected clock cannot help it).
   */
  readonly correctClock?: (error: CosError) => number | undefined;
}

/**
 * Runs `attempt` until it succeeds, a failure is not transient, or the attempts are spent. Each
 * retry is logged with its attempt number and delay.
 */
export async function retryTransient<T>(
  policy: RetryPolicy,
  what: string,
  signal: AbortSignal | undefined,
  attempt: (n: number) => Promise<T>,
): Promise<T> {
  const { attempts } = policy;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error: unknown) {
      if (signal?.aborted) throw error;
      const skew =
        policy.correctClock !== undefined &&
        error instanceof CosError &&
        error.code === 'RequestTimeTooSkewed';
      if (n >= attempts || !(skew || isTransient(error))) throw error;
      const offset = skew ? policy.correctClock?.(error as CosError) : undefined;
      if (offset !== undefined) {
        policy.logger.info(
          `${what}: the local clock is off by ${Math.round(offset / 1000)} s; corrected from the server's Date, retrying (attempt ${n + 1}/${attempts})`,
        );
        continue;
      }
      const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (n - 1));
      let wait = Math.round(policy.random() * ceiling);
      // A 429 or 503 may say how long to wait: honoured, within the request's timeout.
      const asked =
        error instanceof CosError ? retryAfterMs(error.retryAfter, policy.clock.now()) : undefined;
      if (asked !== undefined && asked > policy.timeoutMs) {
        throw new Error(
          `${errorMessage(error)}; the server asked to retry in ${Math.ceil(asked / 1000)} s, longer than the ` +
            `timeout of ${Math.ceil(policy.timeoutMs / 1000)} s, so it was not retried. ` +
            'Fix: run again later, or raise timeout',
          { cause: error },
        );
      }
      if (asked !== undefined) wait = Math.max(wait, asked);
      policy.logger.warning(
        `${what}: attempt ${n}/${attempts} failed (${errorMessage(error)}); retrying in ${wait} ms` +
          (asked === undefined ? '' : ' (as Retry-After asked)'),
      );
      await policy.clock.sleep(wait, signal);
    }
  }
}
