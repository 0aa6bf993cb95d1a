// Failures of the local file system told in plain words: what happened to which path, and the fix.
// Node's own messages ("ENOSPC: no space left on device, write") name no path for writes through a
// handle and no fix at all; a download is usually the first thing in a job to fill a disk.
import { lstat, statfs } from 'node:fs/promises';
import path from 'node:path';

/** A local file operation failed; `code` is Node's (ENOSPC, EACCES, …), `path` the file or folder. */
export class LocalFileError extends Error {
  /** `'LocalFileError'`. */
  override readonly name = 'LocalFileError';
  /** Node's error code: `ENOSPC`, `EACCES`, `EROFS`, … */
  readonly code: string;
  /** The file or folder the operation failed on. */
  readonly path: string;

  constructor(code: string, filePath: string, message: string, cause: unknown) {
    super(message, { cause });
    this.code = code;
    this.path = filePath;
  }
}

function errnoCode(error: unknown): string | undefined {
  if (!(error instanceof Error) || error instanceof LocalFileError) return undefined;
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}

/**
 * One line for a file-system error `code` at `filePath`. `file` names the file in the way for
 * ENOTDIR / EEXIST when it is known. Undefined for codes without a clearer wording.
 */
export function describeLocalFailure(
  code: string,
  filePath: string,
  file?: string,
  disk?: string,
): string | undefined {
  const quoted = `'${filePath}'`;
  const where = disk === undefined ? '' : `; ${disk}`;
  switch (code) {
    case 'ENOSPC':
      return (
        `No space left on the device holding ${quoted} (ENOSPC${where}). ` +
        'Fix: free space on that disk, or choose a destination on another one, then run again'
      );
    case 'EDQUOT':
      return (
        `The disk quota is used up on the device holding ${quoted} (EDQUOT${where}). ` +
        'Fix: free space or raise the quota, then run again'
      );
    case 'EACCES':
    case 'EPERM':
      return (
        `Permission denied: cannot write ${quoted} (${code}). ` +
        `Fix: make '${path.dirname(filePath)}' writable by the user this runs as, or choose another destination`
      );
    case 'EROFS':
      return (
        `Cannot write ${quoted}: it is on a read-only file system (EROFS). ` +
        'Fix: choose a destination on a writable disk (e.g. in the workspace or the runner temp folder)'
      );
    case 'ENOTDIR':
    case 'EEXIST':
      if (file === undefined && code === 'EEXIST') return undefined;
      if (file === undefined) {
        return (
          `Cannot create ${quoted}: part of that path is a file, not a folder (ENOTDIR). ` +
          'Fix: remove or rename that file, or choose another destination'
        );
      }
      return (
        `Cannot create ${file === filePath ? `the folder ${quoted}: a file has that name` : `${quoted}: '${file}' is a file, not a folder`} (${code}). ` +
        `Fix: remove or rename the file '${file}', or choose another destination`
      );
    case 'EMFILE':
    case 'ENFILE':
      return (
        `Too many open files while opening ${quoted} (${code}). ` +
        "Fix: lower 'concurrency', or raise the open-file limit (ulimit -n)"
      );
    case 'EISDIR':
      return `Cannot write ${quoted}: it is a folder (EISDIR). Fix: remove the folder, or choose another destination`;
    case 'ENAMETOOLONG':
      return `Cannot write ${quoted}: the path is too long for this file system (ENAMETOOLONG). Fix: choose a shorter destination`;
    default:
      return undefined;
  }
}

/** The plain-words message of a raw Node file-system error that carries its path; no I/O. */
export function describeFsError(error: unknown): string | undefined {
  const code = errnoCode(error);
  const { path: filePath, syscall } = error as NodeJS.ErrnoException;
  if (code === undefined || typeof filePath !== 'string') return undefined;
  // Only a raw error names the very path that is missing (a wrapped one names the destination).
  if (code === 'ENOENT') {
    return (
      `'${filePath}' does not exist (ENOENT${typeof syscall === 'string' ? `, ${syscall}` : ''}). ` +
      'Fix: check the path; if it lies in the destination, make sure nothing else removes it while the download runs'
    );
  }
  // mkdir says EEXIST only when the path itself is there and is not a folder.
  const file = code === 'EEXIST' && syscall === 'mkdir' ? filePath : undefined;
  return describeLocalFailure(code, filePath, file);
}

/** The nearest existing ancestor of `filePath` (itself included) that is not a folder. */
async function fileInTheWay(filePath: string): Promise<string | undefined> {
  let current = path.resolve(filePath);
  for (;;) {
    const info = await lstat(current).catch(() => undefined);
    if (info !== undefined) return info.isDirectory() ? undefined : current;
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

/** The disk holding `filePath`, told as its mount point and free space; undefined when unknown. */
async function diskOf(filePath: string): Promise<string | undefined> {
  let current = path.resolve(filePath);
  let info = await lstat(current).catch(() => undefined);
  while (info === undefined && path.dirname(current) !== current) {
    current = path.dirname(current);
    info = await lstat(current).catch(() => undefined);
  }
  if (info === undefined) return undefined;
  // The mount point: the highest ancestor on the same device.
  for (let parent = path.dirname(current); parent !== current; parent = path.dirname(current)) {
    const above = await lstat(parent).catch(() => undefined);
    if (above === undefined || above.dev !== info.dev) break;
    current = parent;
  }
  const space = await statfs(current).catch(() => undefined);
  if (space === undefined) return `the disk mounted at '${current}'`;
  return `the disk mounted at '${current}' has ${mib(space.bavail * space.bsize)} free of ${mib(space.blocks * space.bsize)}`;
}

/**
 * Wraps a file-system failure at `filePath` in a LocalFileError with a clear message (the original
 * kept as `cause`); anything else is returned as is. Use as `.catch(async (e) => { throw await … })`.
 */
export async function asLocalFileError(error: unknown, filePath: string): Promise<unknown> {
  const code = errnoCode(error);
  if (code === undefined) return error;
  const file = code === 'ENOTDIR' || code === 'EEXIST' ? await fileInTheWay(filePath) : undefined;
  const disk = code === 'ENOSPC' || code === 'EDQUOT' ? await diskOf(filePath) : undefined;
  const message = describeLocalFailure(code, filePath, file, disk);
  return message === undefined ? error : new LocalFileError(code, filePath, message, error);
}
