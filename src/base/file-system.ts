// What the input parser asks of the local file system, answered for the edges (action, CLI,
// library) to pass in: the parser itself does no I/O.
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';

/** Whether the absolute path is an existing folder. */
export function isDirectory(absolutePath: string): boolean {
  return statSync(absolutePath, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/** The real path of an existing path, links resolved; undefined when it does not exist. */
export function realpathOf(absolutePath: string): string | undefined {
  try {
    return realpathSync.native(absolutePath);
  } catch {
    return undefined;
  }
}

function fileError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/**
 * The bytes of a regular file of at most `maxBytes`. Anything else is refused before a byte is read,
 * with the file system's kind of error: EISDIR (a folder), ENOTREG (a device, a pipe, a socket:
 * reading `/dev/zero` or a FIFO would never end), EFBIG (larger than `maxBytes`).
 */
export function readRegularFile(absolutePath: string, maxBytes: number): Buffer {
  // Non-blocking, so opening a FIFO with no writer does not hang; not needed once it is a regular file.
  const fd = openSync(absolutePath, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw fileError('EISDIR', `EISDIR: a folder, not a file: ${absolutePath}`);
    if (!stat.isFile()) throw fileError('ENOTREG', `not a regular file: ${absolutePath}`);
    if (stat.size > maxBytes) throw fileError('EFBIG', `larger than ${maxBytes} bytes: ${absolutePath}`);
    const buffer = Buffer.alloc(stat.size);
    let filled = 0;
    while (filled < buffer.length) {
      const read = readSync(fd, buffer, filled, buffer.length - filled, filled);
      if (read === 0) break;
      filled += read;
    }
    return buffer.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}
