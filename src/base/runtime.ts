// The injected edges of every layer: time and logging. Defaults are the real ones.
import { setTimeout as delay } from 'node:timers/promises';

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
