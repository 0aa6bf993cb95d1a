// The one line anything thrown is told in, for `setFailed`, the CLI and logs.
import { describeFsError } from './local-errors.js';

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
