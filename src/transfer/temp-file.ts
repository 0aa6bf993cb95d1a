// The narrow writer of a download: positional writes into a temp file beside the destination,
// then fsync + rename into place, or discard. The destination is never opened for writing.
import { type FileHandle, lstat, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { asLocalFileError } from '../base/local-errors.js';

/** The temp file a download of `destination` writes into (beside it, so the rename is atomic). */
export function tempPathFor(destination: string): string {
  return `${destination}.cos-download`;
}

export class TempFile {
  readonly path: string;
  #handle: FileHandle | undefined;

  private constructor(filePath: string, handle: FileHandle) {
    this.path = filePath;
    this.#handle = handle;
  }

  /** Creates (or truncates) the temp file and sizes it to `length` bytes. */
  static async create(filePath: string, length: number): Promise<TempFile> {
    // Exclusive create: never follow a link planted at the temp path. A leftover is removed first.
    const handle = await open(filePath, 'wx', 0o644)
      .catch(async (error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        await rm(filePath, { force: true });
        return open(filePath, 'wx', 0o644);
      })
      .catch(async (error: unknown) => {
        throw await asLocalFileError(error, filePath);
      });
    try {
      if (length > 0) await handle.truncate(length);
    } catch (error: unknown) {
      await handle.close();
      await rm(filePath, { force: true }).catch(() => {});
      throw await asLocalFileError(error, filePath);
    }
    return new TempFile(filePath, handle);
  }

  /** Opens an existing temp file for more positional writes (a resumed download). */
  static async reopen(filePath: string): Promise<TempFile> {
    const info = await lstat(filePath);
    if (!info.isFile()) throw new Error(`${filePath} is not a regular file`);
    const handle = await open(filePath, 'r+').catch(async (error: unknown) => {
      throw await asLocalFileError(error, filePath);
    });
    return new TempFile(filePath, handle);
  }

  #open(): FileHandle {
    if (this.#handle === undefined) throw new Error(`temp file ${this.path} is already closed`);
    return this.#handle;
  }

  /** Writes the buffers back to back from `position` in one positional writev, looping over short writes. */
  async writevAt(buffers: readonly Buffer[], position: number): Promise<void> {
    const handle = this.#open();
    const pending = [...buffers];
    let offset = position;
    while (pending.length > 0) {
      const { bytesWritten } = await handle.writev(pending, offset).catch(async (error: unknown) => {
        throw await asLocalFileError(error, this.path);
      });
      offset += bytesWritten;
      let skip = bytesWritten;
      while (pending.length > 0 && skip >= (pending[0] as Buffer).length) {
        skip -= (pending.shift() as Buffer).length;
      }
      if (skip > 0 && pending.length > 0) pending[0] = (pending[0] as Buffer).subarray(skip);
    }
  }

  async sync(): Promise<void> {
    await this.#open()
      .sync()
      .catch(async (error: unknown) => {
        throw await asLocalFileError(error, this.path);
      });
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
  }

  /**
   * fsync, stamp the mtime, close, and rename over `destination` (atomic on one file system).
   * `syncFolder: false` leaves the folder's fsync to the caller (a mirror syncs each folder once).
   */
  async commit(destination: string, mtime?: Date, options: { syncFolder?: boolean } = {}): Promise<void> {
    const handle = this.#open();
    await this.sync();
    if (mtime !== undefined && !Number.isNaN(mtime.getTime())) await handle.utimes(mtime, mtime);
    await this.close();
    await rename(this.path, destination).catch(async (error: unknown) => {
      throw await asLocalFileError(error, destination);
    });
    if (options.syncFolder !== false) await syncDirectory(path.dirname(destination));
  }

  /** Closes and removes the temp file; never throws. */
  async discard(): Promise<void> {
    await this.close().catch(() => {});
    await rm(this.path, { force: true }).catch(() => {});
  }
}

/**
 * Writes a small text file atomically: a sibling `.tmp`, fsync, rename over `filePath`. On failure
 * (a full disk, say) the `.tmp` is removed and the previous `filePath` stays as it was.
 */
export async function writeFileAtomic(filePath: string, text: string, mode: number): Promise<void> {
  const temp = `${filePath}.tmp`;
  try {
    const handle = await open(temp, 'w', mode);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, filePath);
  } catch (error: unknown) {
    await rm(temp, { force: true }).catch(() => {});
    throw await asLocalFileError(error, filePath);
  }
}

/** fsync a folder so a rename in it survives a crash; not every platform allows it. */
export async function syncDirectory(folder: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch {
    // Windows and some file systems refuse to open or fsync a folder.
  } finally {
    await handle?.close().catch(() => {});
  }
}
