// The injected edges of every layer: time and logging. Defaults are the real ones.
import { setTimeout as delay } from 'node:timers/promises';
import { escapeControls } from './text.js';

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
 * A logger whose every message is one line of printable text: control characters (a line break
 * in a key or a file name, a terminal escape) are escaped, and a message cannot start a workflow
 * command (`::…`) on the runner.
 */
export function printable(logger: Logger): Logger {
  const clean = (message: string): string => {
    const line = escapeControls(message);
    return line.startsWith('::') ? ` ${line}` : line;
  };
  return {
    debug: (m) => logger.debug(clean(m)),
    info: (m) => logger.info(clean(m)),
    warning: (m) => logger.warning(clean(m)),
  };
}
