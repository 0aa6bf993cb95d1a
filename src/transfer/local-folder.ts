// The mirror's side of the local folder: which paths this run's keys claim (a key that would need
// a file where another needs a folder is refused), folders created one segment at a time without
// passing through a link, and the walk that finds files the mirror did not write.
import type { Stats } from 'node:fs';
import { lstat, mkdir, readdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { isStateSegment } from '../base/state-name.js';
import { caseInsensitive, foldedPath } from './paths.js';

/** A key cannot be a file here: the local folder (or another key) holds something else at its path. */
export class PathConflict extends Error {
  override readonly name = 'PathConflict';
}

/** A link planted in the destination stood in the way of a write; it is never followed. */
export class PlantedLinkError extends Error {
  override readonly name = 'PlantedLinkError';
}

function ancestorsOf(relative: string): string[] {
  const parts = relative.split('/');
  const ancestors: string[] = [];
  for (let i = 1; i < parts.length; i++) ancestors.push(parts.slice(0, i).join('/'));
  return ancestors;
}

/**
 * The local paths this run's keys claim, as files or folders. The first key to claim a path keeps
 * it; a later key that needs a file where a folder is claimed (or the other way round), or that
 * differs only in case on a case-insensitive file system, is refused with the reason.
 */
export class PathClaims {
  readonly #files = new Map<string, string>();
  readonly #folders = new Map<string, string>();
  readonly #folded: Map<string, string> | undefined;

  constructor(platform: NodeJS.Platform) {
    this.#folded = caseInsensitive(platform) ? new Map() : undefined;
  }

  /** True when this run's listing holds a key at `relative` (a file, or a folder on the way to one). */
  has(relative: string): boolean {
    return this.#files.has(relative) || this.#folders.has(relative);
  }

  /** Claims `relative` for `key`; returns why it cannot, or undefined once claimed. */
  claim(relative: string, key: string, kind: 'file' | 'folder'): string | undefined {
    if (kind === 'file' && this.#folders.has(relative)) {
      return `a key needs '${relative}' to be a folder ('${this.#folders.get(relative)}'), so it cannot be a file`;
    }
    if (kind === 'folder' && this.#files.has(relative)) {
      return `'${relative}' is the file of key '${this.#files.get(relative)}', so it cannot be a folder`;
    }
    const ancestors = ancestorsOf(relative);
    for (const folder of ancestors) {
      const file = this.#files.get(folder);
      if (file !== undefined) return `'${folder}' is the file of key '${file}', so it cannot be a folder`;
    }
    if (this.#folded !== undefined && kind === 'file') {
      const folded = foldedPath(relative);
      const clash = this.#folded.get(folded);
      if (clash !== undefined)
        return `it differs only in case from '${clash}', and this file system ignores case`;
      this.#folded.set(folded, key);
    }
    if (kind === 'file') this.#files.set(relative, key);
    else if (!this.#folders.has(relative)) this.#folders.set(relative, key);
    for (const folder of ancestors) if (!this.#folders.has(folder)) this.#folders.set(folder, key);
    return undefined;
  }
}

/**
 * Creates `folder` under `root` one segment at a time, refusing to pass through a symlink, so a
 * link planted in the destination can never lead a write outside it. A file in the way is a
 * PathConflict (the key is refused); a link is a PlantedLinkError (the object fails).
 */
export async function ensureFolder(root: string, folder: string, safe: Set<string>): Promise<void> {
  if (safe.has(folder)) return;
  const relative = path.relative(root, folder);
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    throw new Error(`refusing to create a folder outside the destination: ${folder}`);
  }
  let current = root;
  for (const segment of relative.split(path.sep)) {
    if (segment === '') continue;
    current = path.join(current, segment);
    if (safe.has(current)) continue;
    let info = await lstat(current).catch(() => undefined);
    if (info === undefined) {
      await mkdir(current).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      });
      info = await lstat(current);
    }
    if (info.isSymbolicLink()) {
      throw new PlantedLinkError(`refusing to follow the symlink ${current} found in the destination`);
    }
    if (!info.isDirectory()) {
      throw new PathConflict(`${current} is a file here, so it cannot be a folder`);
    }
    safe.add(current);
  }
}

/**
 * Files and links under `root` (relative, `/`-separated) for which `keep` is false; never follows a
 * link and never enters the state folder.
 */
export async function filesOutside(root: string, keep: (relative: string) => boolean): Promise<string[]> {
  const found: string[] = [];
  const walk = async (folder: string, relative: string): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (relative === '' && isStateSegment(entry.name)) continue;
      const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) await walk(path.join(folder, entry.name), rel);
      else if (!keep(rel)) found.push(rel);
    }
  };
  await walk(root, '');
  return found.sort();
}

/**
 * After `relative` was deleted: removes its folders, innermost first, while they are empty and
 * no key of this run needs them. Returns how many were removed.
 */
export async function removeEmptiedFolders(
  root: string,
  relative: string,
  needed: (folder: string) => boolean,
): Promise<number> {
  let removed = 0;
  for (const folder of ancestorsOf(relative).reverse()) {
    if (needed(folder)) break;
    const gone = await rmdir(path.join(root, ...folder.split('/'))).then(
      () => true,
      () => false,
    );
    if (!gone) break;
    removed++;
  }
  return removed;
}

/**
 * The regular file at `relative` (`/`-separated) under `root`, if it is reached through real
 * folders only — no link on the way, no `..` — else undefined. What `delete` may act on.
 */
export async function reachableFile(root: string, relative: string): Promise<Stats | undefined> {
  const segments = relative.split('/');
  if (
    segments.some(
      (segment) => segment === '' || segment === '.' || segment === '..' || segment.includes('\\'),
    )
  ) {
    return undefined;
  }
  let current = root;
  for (const [i, segment] of segments.entries()) {
    current = path.join(current, segment);
    const info = await lstat(current).catch(() => undefined);
    if (info === undefined) return undefined;
    if (i === segments.length - 1) return info.isFile() ? info : undefined;
    if (!info.isDirectory()) return undefined;
  }
  return undefined;
}
