// The mirror's side of the local folder: which paths this run's keys claim (a key that would need
// a file where another needs a folder is refused), folders created one segment at a time without
// passing through a link, and the walk that finds files the mirror did not write.
import type { Stats } from 'node:fs';
import { lstat, mkdir, readdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { isStateSegment } from '../base/state-name.js';
import { compareUtf8 } from '../cos/list.js';
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
 * Which local paths this run's keys need, as files or folders, checked as the listing goes by in
 * key order. A key needing a folder where an earlier key's file is (`a`, then `a/b`), or differing
 * only in case from an earlier one on a case-insensitive file system, is refused with the reason.
 * In key order, a file `f` can only clash with keys under `f/`, which come before anything past
 * them, so only the few files such a key could still fall under are remembered (on a
 * case-insensitive file system, every file's folded name is).
 */
export class PathConflicts {
  #openFiles: Array<{ readonly path: string; readonly key: string }> = [];
  readonly #folded: Map<string, string> | undefined;
  readonly #markers = new Set<string>();

  constructor(platform: NodeJS.Platform) {
    this.#folded = caseInsensitive(platform) ? new Map() : undefined;
  }

  /** True for a folder a `dir/` marker key asks for: it stays even when empty. */
  isMarker(folder: string): boolean {
    return this.#markers.has(folder);
  }

  /** Claims `relative` for `key` (keys come in increasing order); returns why it cannot, or undefined. */
  claim(relative: string, key: string, kind: 'file' | 'folder'): string | undefined {
    this.#openFiles = this.#openFiles.filter(
      (file) => relative.startsWith(`${file.path}/`) || compareUtf8(relative, `${file.path}/`) < 0,
    );
    for (const file of this.#openFiles) {
      if (relative.startsWith(`${file.path}/`) || (kind === 'folder' && relative === file.path)) {
        return `'${file.path}' is the file of key '${file.key}', so it cannot be a folder`;
      }
    }
    if (kind === 'folder') {
      this.#markers.add(relative);
      return undefined;
    }
    if (this.#folded !== undefined) {
      const folded = foldedPath(relative);
      const clash = this.#folded.get(folded);
      if (clash !== undefined)
        return `it differs only in case from '${clash}', and this file system ignores case`;
      this.#folded.set(folded, key);
    }
    this.#openFiles.push({ path: relative, key });
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
 * Files and links under `root` (relative, `/`-separated), in the UTF-8 order of the keys they would
 * be (a folder sorts as its name plus '/'), so they can be merged with a manifest in key order;
 * never follows a link and never enters the state folder.
 */
export async function* filesInKeyOrder(root: string, relative = ''): AsyncGenerator<string> {
  const folder = relative === '' ? root : path.join(root, ...relative.split('/'));
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  const named = entries
    .filter((entry) => relative !== '' || !isStateSegment(entry.name))
    .map((entry) => ({ entry, order: entry.isDirectory() ? `${entry.name}/` : entry.name }))
    .sort((a, b) => compareUtf8(a.order, b.order));
  for (const { entry } of named) {
    const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) yield* filesInKeyOrder(root, rel);
    else yield rel;
  }
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
