// Download or skip, for one listed object and the local file at its path: from the previous
// manifest with one stat (no request), else by comparing content (MD5 of a plain ETag, or CRC-64).
import { lstatSync, type Stats } from 'node:fs';
import type { CosClient } from '../cos/client.js';
import type { ListedObject } from '../cos/list.js';
import { headObject, type ObjectInfo } from '../cos/object.js';
import { removeCheckpoint } from './checkpoint.js';
import { PathConflict, PlantedLinkError } from './local-folder.js';
import { localFileMatches, plainMd5Etag } from './local-match.js';
import type { ManifestEntry } from './manifest.js';
import { localPath } from './paths.js';
import type { TransferSettings } from './settings.js';
import { mirrorFileState } from './state.js';

export type Decision =
  | { readonly action: 'download' }
  | { readonly action: 'skip'; readonly reason: string; readonly entry?: ManifestEntry | undefined };

/** What every decision of one mirror is made with. */
export interface DecideContext {
  readonly client: CosClient;
  readonly settings: TransferSettings;
  readonly root: string;
  readonly signal: AbortSignal;
}

export function infoFromListing(object: ListedObject): ObjectInfo {
  return {
    key: object.key,
    etag: object.etag,
    size: object.size,
    lastModified: object.lastModified,
    storageClass: object.storageClass,
  };
}

export function entryFor(info: ObjectInfo, file: string, local: Stats, written: boolean): ManifestEntry {
  const entry: {
    -readonly [K in keyof ManifestEntry]: ManifestEntry[K];
  } = {
    key: info.key,
    etag: info.etag,
    size: info.size,
    path: file,
    'local-size': local.size,
    'local-mtime-ms': local.mtimeMs,
    'local-ino': local.ino,
    'local-ctime-ms': local.ctimeMs,
    written,
  };
  if (info.versionId !== undefined) entry['version-id'] = info.versionId;
  if (info.crc64 !== undefined) entry.crc64 = info.crc64;
  return entry;
}

/** The manifest's record still describes both the listed object and the local file as it is. */
function manifestVouches(
  recorded: ManifestEntry,
  object: ListedObject,
  local: { readonly size: number; readonly mtimeMs: number },
): boolean {
  return (
    recorded.etag === object.etag &&
    recorded.size === object.size &&
    recorded['local-size'] === local.size &&
    recorded['local-mtime-ms'] === local.mtimeMs
  );
}

/**
 * The common case of a re-run, decided without a task or a promise: the manifest records the
 * object with its ETag and size, and one lstat shows the local file as the manifest left it.
 * Anything else (no record, no file, a change) is undefined: `decide` then looks closer.
 */
export function unchangedInManifest(
  context: DecideContext,
  object: ListedObject,
  file: string,
  recorded: ManifestEntry | undefined,
): ManifestEntry | undefined {
  if (recorded === undefined || context.settings.overwrite !== 'changed') return undefined;
  const local = lstatSync(localPath(context.root, file), { throwIfNoEntry: false });
  if (local === undefined || !local.isFile() || !manifestVouches(recorded, object, local)) return undefined;
  return recorded;
}

/** The local file at a key's path, if any; a folder there is a conflict, a link a planted one. */
function localFileAt(object: ListedObject, target: string, file: string): Stats | undefined {
  // Synchronous and without an Error for a missing file: in a fresh folder that is every key.
  let local: Stats | undefined;
  try {
    local = lstatSync(target, { throwIfNoEntry: false });
  } catch {
    local = undefined;
  }
  if (local === undefined || local.isFile()) return local;
  if (local.isSymbolicLink()) {
    throw new PlantedLinkError(`'${object.key}' cannot be written: ${file} is a symlink in the destination`);
  }
  throw new PathConflict(`${file} exists here and is not a file (a folder, say)`);
}

/** Download or skip: from the manifest with a stat, else by comparing content (MD5 or CRC64). */
export async function decide(
  context: DecideContext,
  object: ListedObject,
  file: string,
  recorded: ManifestEntry | undefined,
): Promise<Decision> {
  const { settings } = context;
  const target = localPath(context.root, file);
  const local = localFileAt(object, target, file);
  if (settings.overwrite === 'always' || local === undefined) return { action: 'download' };
  if (settings.overwrite === 'never') return { action: 'skip', reason: 'exists (overwrite: never)' };
  if (recorded !== undefined && manifestVouches(recorded, object, local)) {
    return { action: 'skip', reason: 'unchanged (manifest)', entry: recorded };
  }
  if (local.size !== object.size) return { action: 'download' };
  let info = infoFromListing(object);
  if (plainMd5Etag(object.etag) === undefined) {
    // A multipart ETag is no MD5: ask COS for the object's CRC64 to compare with.
    const access = { sseCustomerKey: settings.sseCustomerKey };
    const head = await headObject(context.client, object.key, access, {}, context.signal);
    if (head.kind !== 'found' || head.info.etag !== object.etag) return { action: 'download' };
    info = head.info;
  }
  if (!(await localFileMatches(target, local.size, info))) return { action: 'download' };
  // A crash between a download's rename and its checkpoint's removal leaves the checkpoint behind.
  if (!settings.dryRun) await removeCheckpoint(mirrorFileState(context.root, file).checkpoint);
  // The file was there before: it is the object's, but not one this tool wrote.
  const written = recorded?.written === true && recorded.etag === object.etag;
  return { action: 'skip', reason: 'unchanged (content)', entry: entryFor(info, file, local, written) };
}
