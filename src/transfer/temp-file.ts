// The narrow writer of a download: positional writes into a temp file in the state folder, then
// fsync + rename into place, or discard. The destination is never opened for writing, and no file
// is ever opened through a link planted at its path.
import { writeSync } from 'node:fs';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { asLocalFileError } from '../base/local-errors.js';
import { Crc64 } from './crc64.js';
import { openNoFollow } from './state.js';

/**
 * Creates `filePath` exclusively, for writing (`readable`: and reading); a leftover (a file or a
 * planted link) is removed, never followed.
 */
export async function createExclusive(filePath: string, mode: number, readable = false): Promise<FileHandle> {
  const flags = readable ? 'wx+' : 'wx';
  return open(filePath, flags, mode).catch(async (error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    await rm(filePath, { force: true });
    return open(filePath, flags, mode);
  });
}

/** A write into a temp file failed; thrown where only a synchronous throw is possible. */
export class LocalWriteFailure extends Error {
  readonly #shownPath: string;

  constructor(cause: unknown, shownPath: string) {
    super(`writing ${shownPath} failed`, { cause });
    this.#shownPath = shownPath;
  }

  /** The failure as a user reads it (LocalFileError: what, where, how much room is left). */
  async explain(): Promise<unknown> {
    return asLocalFileError(this.cause, this.#shownPath);
  }

  /** `error` as a user reads it: explained when it is a LocalWriteFailure, else as it is. */
  static async explained(error: unknown): Promise<unknown> {
    return error instanceof LocalWriteFailure ? error.explain() : error;
  }
}

export class TempFile {
  readonly path: string;
  /** The file this temp file becomes: what messages name (a full disk, say). */
  readonly shownPath: string;
  /** The temp file's inode, which a checkpoint is bound to; undefined for a file no checkpoint will name. */
  readonly ino: number | undefined;
  #handle: FileHandle | undefined;

  private constructor(filePath: string, shownPath: string, handle: FileHandle, ino: number | undefined) {
    this.path = filePath;
    this.shownPath = shownPath;
    this.#handle = handle;
    this.ino = ino;
  }

  /**
   * Creates the temp file exclusively and sizes it to `length` bytes. `checkpointed: false` (one
   * write, no checkpoint) spares the stat that learns its inode.
   */
  static async create(
    filePath: string,
    length: number,
    shownPath = filePath,
    options: { readonly checkpointed: boolean } = { checkpointed: true },
  ): Promise<TempFile> {
    // Readable too: a part's CRC may be taken from the file (the CRC worker failed).
    const handle = await createExclusive(filePath, 0o644, true).catch(async (error: unknown) => {
      throw await asLocalFileError(error, shownPath);
    });
    try {
      if (length > 0) await handle.truncate(length);
      const ino = options.checkpointed ? (await handle.stat()).ino : undefined;
      return new TempFile(filePath, shownPath, handle, ino);
    } catch (error: unknown) {
      await handle.close();
      await rm(filePath, { force: true }).catch(() => {});
      throw await asLocalFileError(error, shownPath);
    }
  }

  /** Opens an existing temp file for more positional writes (a resumed download); never through a link. */
  static async reopen(filePath: string, shownPath = filePath): Promise<TempFile> {
    const handle = await openNoFollow(filePath, 'r+').catch(async (error: unknown) => {
      throw await asLocalFileError(error, shownPath);
    });
    return new TempFile(filePath, shownPath, handle, (await handle.stat()).ino);
  }

  /** CRC-64 of `length` bytes from `position`, as they are on disk; undefined if the file is shorter. */
  async crcAt(position: number, length: number): Promise<bigint | undefined> {
    const handle = this.#open();
    const crc = new Crc64();
    const buffer = Buffer.allocUnsafe(Math.min(length, 1024 * 1024));
    for (let done = 0; done < length; ) {
      const want = Math.min(buffer.length, length - done);
      const { bytesRead } = await handle.read(buffer, 0, want, position + done);
      if (bytesRead === 0) return undefined;
      crc.update(buffer.subarray(0, bytesRead));
      done += bytesRead;
    }
    return crc.digest();
  }

  #open(): FileHandle {
    if (this.#handle === undefined) throw new Error(`temp file ${this.path} is already closed`);
    return this.#handle;
  }

  /** Writes `buffer` at `position`, looping over short writes. */
  async writeAt(buffer: Buffer, position: number): Promise<void> {
    const handle = this.#open();
    for (let done = 0; done < buffer.length; ) {
      const { bytesWritten } = await handle
        .write(buffer, done, buffer.length - done, position + done)
        .catch(async (error: unknown) => {
          throw await asLocalFileError(error, this.shownPath);
        });
      done += bytesWritten;
    }
  }

  /**
   * Writes `buffer` at `position` before returning (into the page cache: microseconds), so the
   * receive path can hand over its reused read buffer. A failure throws a LocalWriteFailure; its
   * `explain()` gives the message a user reads (a full disk, say).
   */
  writeAtSync(buffer: Buffer, position: number): void {
    const fd = this.#open().fd;
    try {
      for (let done = 0; done < buffer.length; ) {
        done += writeSync(fd, buffer, done, buffer.length - done, position + done);
      }
    } catch (error: unknown) {
      throw new LocalWriteFailure(error, this.shownPath);
    }
  }

  async sync(): Promise<void> {
    await this.#open()
      .sync()
      .catch(async (error: unknown) => {
        throw await asLocalFileError(error, this.shownPath);
      });
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
  }

  /**
   * Stamp the mtime, close, and rename over `destination` (atomic on one file system). `durable`:
   * fsync the file first and its folder after (`syncFolder: false` leaves the folder's fsync to the
   * caller: a mirror syncs each folder once).
   */
  async commit(
    destination: string,
    mtime: Date | undefined,
    options: { readonly durable: boolean; readonly syncFolder?: boolean },
  ): Promise<void> {
    const handle = this.#open();
    if (options.durable) await this.sync();
    if (mtime !== undefined && !Number.isNaN(mtime.getTime())) await handle.utimes(mtime, mtime);
    await this.close();
    await rename(this.path, destination).catch(async (error: unknown) => {
      throw await asLocalFileError(error, destination);
    });
    if (options.durable && options.syncFolder !== false) await syncDirectory(path.dirname(destination));
  }

  /** Closes and removes the temp file; never throws. */
  async discard(): Promise<void> {
    await this.close().catch(() => {});
    await rm(this.path, { force: true }).catch(() => {});
  }
}

/**
 * Writes a small text file atomically: a sibling `.tmp` created exclusively (a link planted there
 * is removed, never written through), fsync when `durable`, rename over `filePath` (which replaces a link at
 * `filePath` rather than following it). On failure (a full disk, say) the `.tmp` is removed and
 * the previous `filePath` stays as it was. Callers hold the lock of the folder, so no other run
 * writes the same `.tmp`.
 */
export async function writeFileAtomic(
  filePath: string,
  text: string,
  mode: number,
  durable: boolean,
): Promise<void> {
  const temp = `${filePath}.tmp`;
  try {
    const handle = await createExclusive(temp, mode);
    try {
      await handle.writeFile(text, 'utf8');
      if (durable) await handle.sync();
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
