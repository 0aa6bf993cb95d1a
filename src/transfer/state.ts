// The tool's own files at a destination live in one hidden state folder, `.cos-download/`, in the
// folder that holds what is written (a single object's parent folder; a mirror's root). No key maps
// into it (`mapKey` refuses the segment), so remote data can never be taken for our state, nor our
// state overwrite a downloaded file. See docs/adr/0007-state-folder-and-locks.md.
//
//   .cos-download/
//     mirror.lock             a mirror into this folder is running
//     manifest.json           what the mirror wrote here (the skip and delete decisions)
//     manifest.next|stale.json  a running mirror's new entries and unlisted old ones
//     mirror/<id>.part|.json  a mirrored file's temp file and checkpoint (id: hash of its path)
//     <id>.lock|.part|.json   a single object's lock, temp file and checkpoint (id: hash of its name)
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { asLocalFileError } from '../base/local-errors.js';
import { STATE_DIR } from '../base/state-name.js';

/** The state folder's path could not be trusted: a link, a file, or another user's folder. */
export class StateFolderError extends Error {
  override readonly name = 'StateFolderError';
  readonly path: string;
  constructor(folderPath: string, why: string) {
    super(
      `Refusing to use '${folderPath}' for cos-download's temp files, checkpoints and locks: it ${why}. ` +
        'Fix: remove it (cos-download makes its own), or choose another destination',
    );
    this.path = folderPath;
  }
}

/** The temp file and checkpoint of one file being downloaded. */
export interface FileState {
  readonly temp: string;
  readonly checkpoint: string;
}

/** Where one single-object download keeps its state. */
export interface ObjectState extends FileState {
  readonly folder: string;
  readonly lock: string;
}

function idOf(name: string): string {
  return createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 32);
}

export function stateFolderOf(folder: string): string {
  return path.join(folder, STATE_DIR);
}

/** The state of a single-object download to `destination` (an absolute file path). */
export function objectState(destination: string): ObjectState {
  const folder = stateFolderOf(path.dirname(destination));
  const base = path.join(folder, idOf(path.basename(destination)));
  return { folder, lock: `${base}.lock`, temp: `${base}.part`, checkpoint: `${base}.json` };
}

/** The state of a mirrored file (`relative`, `/`-separated) under the mirror's `root`. */
export function mirrorFileState(root: string, relative: string): FileState {
  const base = path.join(stateFolderOf(root), 'mirror', idOf(relative));
  return { temp: `${base}.part`, checkpoint: `${base}.json` };
}

export function mirrorLockPath(root: string): string {
  return path.join(stateFolderOf(root), 'mirror.lock');
}

export function manifestPath(root: string): string {
  return path.join(stateFolderOf(root), 'manifest.json');
}

/** The manifest a mirror's pass writes for its listed keys, merged into `manifest.json` at the end. */
export function nextManifestPath(root: string): string {
  return path.join(stateFolderOf(root), 'manifest.next.json');
}

/** The previous manifest's entries whose keys a pass no longer lists, settled at the end. */
export function staleManifestPath(root: string): string {
  return path.join(stateFolderOf(root), 'manifest.stale.json');
}

/**
 * Makes sure `folder` is a real folder of ours: created (mode 0700) when missing; refused when it
 * is a link, a file, or (on POSIX) owned by another user — something planted there must never
 * receive our temp files or lead our writes elsewhere. A failure to create it names `shownAs`
 * (the file being downloaded), which is what the user asked to write.
 */
export async function ensureOwnFolder(folder: string, shownAs = folder): Promise<void> {
  let info = await lstat(folder).catch(() => undefined);
  if (info === undefined) {
    await mkdir(folder, { mode: 0o700 }).catch(async (error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw await asLocalFileError(error, shownAs);
    });
    info = await lstat(folder);
  }
  if (info.isSymbolicLink()) throw new StateFolderError(folder, 'is a symbolic link');
  if (!info.isDirectory()) throw new StateFolderError(folder, 'is not a folder');
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) {
    throw new StateFolderError(folder, `belongs to another user (uid ${info.uid})`);
  }
}

/** Removes a state folder (or its `mirror/` sub-folder) if nothing is left in it; never throws. */
export async function removeIfEmpty(folder: string): Promise<void> {
  await rmdir(folder).catch(() => {});
}

/**
 * Opens an existing file of ours for reading or writing without following a link at its path;
 * for writing, a file with more than one name (a planted hard link) is refused too.
 */
export async function openNoFollow(filePath: string, mode: 'r' | 'r+'): Promise<FileHandle> {
  // O_NONBLOCK: a FIFO planted at the path must not hang the open (for a regular file it is a no-op).
  const flags =
    (mode === 'r' ? constants.O_RDONLY : constants.O_RDWR) |
    (constants.O_NOFOLLOW ?? 0) |
    (constants.O_NONBLOCK ?? 0);
  if (constants.O_NOFOLLOW === undefined) {
    // Windows has no O_NOFOLLOW: refuse a link by looking first.
    const info = await lstat(filePath);
    if (info.isSymbolicLink()) throw Object.assign(new Error(`${filePath} is a link`), { code: 'ELOOP' });
  }
  const handle = await open(filePath, flags);
  const info = await handle.stat();
  if (!info.isFile()) {
    await handle.close();
    throw Object.assign(new Error(`${filePath} is not a regular file`), { code: 'EISDIR' });
  }
  // A file we made has one name; a second (a hard link planted to a file elsewhere) would let a
  // write here change that other file.
  if (mode === 'r+' && info.nlink !== 1) {
    await handle.close();
    throw Object.assign(new Error(`${filePath} has other names (hard links)`), { code: 'EMLINK' });
  }
  return handle;
}

/** What reading one of our files found. */
export type OwnFileText =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'absent' }
  /** A link, a folder, or a read that failed: never trusted. */
  | { readonly kind: 'unreadable' };

/** Reads a file of ours without following a link at its path. */
export async function readOwnFile(filePath: string): Promise<OwnFileText> {
  let handle: FileHandle | undefined;
  try {
    handle = await openNoFollow(filePath, 'r');
    return { kind: 'text', text: await handle.readFile('utf8') };
  } catch (error: unknown) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? { kind: 'absent' } : { kind: 'unreadable' };
  } finally {
    await handle?.close().catch(() => {});
  }
}
