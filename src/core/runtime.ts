// The injected edges of the core: time, randomness and logging. Defaults are the real ones.
import { setTimeout as delay } from 'node:timers/promises';
import { describeFsError } from '../transfer/local-errors.js';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    await delay(ms, undefined, signal ? { signal } : {});
  },
};

export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warning: () => {},
};

/**
 * The message of anything thrown, for `setFailed` and the CLI. A raw file-system error (ENOSPC,
 * EACCES, …) that got here unwrapped is told in plain words, with its path and a fix.
 */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return describeFsError(error) ?? error.message;
  try {
    return String(error);
  } catch {
    return Object.prototype.toString.call(error);
  }
}
