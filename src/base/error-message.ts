// The one line anything thrown is told in, for `setFailed` and the CLI; and the details of its
// cause chain, for debug output.
import { describeFsError } from './local-errors.js';
import { describeNetworkFailure } from './network-errors.js';

/**
 * The message of anything thrown, for `setFailed` and the CLI. A raw file-system error (ENOSPC,
 * EACCES, …) or network error (ECONNREFUSED, ENOTFOUND, …) that got here unwrapped is told in plain
 * words, with its path or host and what to check.
 */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    // A raw network error is worded here; the client's NetworkError already says what it means.
    const network =
      error.name === 'NetworkError' ? undefined : describeNetworkFailure(error, undefined, true);
    return describeFsError(error) ?? network ?? error.message;
  }
  try {
    return String(error);
  } catch {
    return Object.prototype.toString.call(error);
  }
}

/**
 * Debug lines for a failure: each error of the cause chain with its name, code and system call,
 * then the stack of the first. The one-line message leaves these out; `--verbose` and
 * `ACTIONS_STEP_DEBUG` show them.
 */
export function errorDetails(error: unknown): string[] {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined; depth++) {
    if (!(current instanceof Error)) {
      lines.push(`${depth === 0 ? 'error' : 'caused by'}: ${String(current)}`);
      break;
    }
    const fields = current as { code?: unknown; syscall?: unknown; errno?: unknown };
    const facts = [
      typeof fields.code === 'string' ? `code ${fields.code}` : undefined,
      typeof fields.syscall === 'string' ? `syscall ${fields.syscall}` : undefined,
      typeof fields.errno === 'number' ? `errno ${fields.errno}` : undefined,
    ].filter((fact) => fact !== undefined);
    lines.push(
      `${depth === 0 ? 'error' : 'caused by'}: ${current.name}${facts.length > 0 ? ` (${facts.join(', ')})` : ''}: ${current.message}`,
    );
    if (current.cause === current) break;
    current = current.cause;
  }
  if (error instanceof Error && error.stack !== undefined) lines.push(...error.stack.split('\n'));
  return lines;
}
