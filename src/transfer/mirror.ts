// A prefix mirrored into a folder. Listing pages feed the download pool as they arrive; small
// objects and large objects' parts share one request budget; unchanged files are skipped from the
// manifest without a request; `delete` runs only after a complete, failure-free pass.
import { createHash } from 'node:crypto';
import { lstatSync } from 'node:fs';
import { lstat, mkdir, readdir, realpath, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import picomatch from 'picomatch';
import { errorMessage } from '../base/error-message.js';
import type { Overwrite, Shard } from '../base/request.js';
import type { CosClient } from '../cos/client.js';
import { type ListedObject, type ListPage, listPages } from '../cos/list.js';
import { headObject, type ObjectInfo } from '../cos/object.js';
import { checkpointPathFor, removeCheckpoint } from './checkpoint.js';
import { fetchObject, type ObjectDownload } from './download-object.js';
import { localFileMatches, plainMd5Etag } from './local-match.js';
import { MANIFEST_NAME, type ManifestEntry, readManifestText, writeManifest } from './manifest.js';
import { caseInsensitive, foldedPath, localPath, mapKey, relativeKey } from './paths.js';
import { syncDirectory } from './temp-file.js';

export interface MirrorRequest {
  /** '' (whole bucket) or a folder prefix ending in '/'. */
  readonly prefix: string;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly delete: boolean;
  readonly shard?: Shard;
  /** Absolute folder. */
  readonly destination: string;
  readonly partSize: number;
  readonly concurrency: number;
  readonly crc: boolean;
  readonly overwrite: Overwrite;
  readonly dryRun: boolean;
  readonly trafficLimit?: number;
  readonly sseCustomerKey?: string;
  readonly platform?: NodeJS.Platform;
  /** Keys per listing page (COS allows up to 1000, the default). */
  readonly listPageSize?: number;
}

export interface MirrorDeps {
  readonly signal?: AbortSignal;
  /** The prefix's listing, when the caller already has it (the cache lists first); else it is fetched. */
  readonly listing?: Iterable<ListPage> | AsyncIterable<ListPage>;
  readonly onStart?: (info: ObjectInfo, length: number) => void;
  readonly onBytes?: (count: number) => void;
}

export type PlanAction = 'download' | 'skip' | 'delete';

export interface MirrorFile {
  readonly key: string;
  /** Relative to the destination, `/`-separated. */
  readonly path: string;
  readonly size: number;
  readonly action: PlanAction;
  readonly reason?: string;
}

export interface MirrorResult {
  readonly destination: string;
  readonly downloaded: number;
  readonly skipped: number;
  readonly deleted: number;
  readonly bytesDownloaded: number;
  /** Every file's fate (downloads and skips as decided), then deletions. */
  readonly files: readonly MirrorFile[];
  /** Keys that map to no safe local path, with the reason. */
  readonly refused: ReadonlyArray<{ readonly key: string; readonly reason: string }>;
  /** ARCHIVE / DEEP_ARCHIVE objects, not downloaded. */
  readonly archived: readonly string[];
  readonly manifest?: string;
  readonly listRequests: number;
  readonly elapsedMs: number;
}

export class MirrorError extends Error {
  readonly result: MirrorResult;
  constructor(message: string, result: MirrorResult, cause: unknown) {
    super(message, { cause });
    this.name = 'MirrorError';
    this.result = result;
  }
}

const ARCHIVE_CLASSES = new Set(['ARCHIVE', 'DEEP_ARCHIVE']);
/** Files the mirror itself keeps in the destination, never mirrored nor deleted. */
const OWN_FILE = /(\.cos-download|\.cos-download\.json|\.cos-download\.json\.tmp)$/;

/** The shard (1-based) a key belongs to: a stable hash, the same on every runner and run. */
export function shardOf(key: string, count: number): number {
  const digest = createHash('sha1').update(key, 'utf8').digest();
  return (digest.readUInt32BE(0) % count) + 1;
}

/** `prefix` as listed: '' for the whole bucket, else with a trailing '/' (folder semantics). */
export function folderPrefix(prefix: string): string {
  if (prefix === '' || prefix === '/') return '';
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** The filters and shard of a request, as one predicate on listed keys. */
export type MirrorScope = Pick<MirrorRequest, 'prefix' | 'include' | 'exclude' | 'shard'>;

/** True for the listed keys a request mirrors: under the folder prefix, past the filters, in the shard. */
export function inMirrorScope(scope: MirrorScope): (key: string) => boolean {
  const prefix = folderPrefix(scope.prefix);
  const inScope = keyFilter(scope);
  return (key) => {
    const relative = relativeKey(key, prefix);
    return relative !== undefined && relative !== '' && inScope(relative, key);
  };
}

function keyFilter(request: MirrorScope): (relative: string, key: string) => boolean {
  const options = { dot: true };
  const include = request.include.length === 0 ? () => true : picomatch([...request.include], options);
  const exclude = request.exclude.length === 0 ? () => false : picomatch([...request.exclude], options);
  const shard = request.shard;
  return (relative, key) =>
    include(relative) &&
    !exclude(relative) &&
    (shard === undefined || shardOf(key, shard.count) === shard.index);
}

export async function mirrorPrefix(
  client: CosClient,
  request: MirrorRequest,
  deps: MirrorDeps = {},
): Promise<MirrorResult> {
  const started = Date.now();
  const prefix = folderPrefix(request.prefix);
  const platform = request.platform ?? process.platform;
  const inScope = keyFilter(request);
  const limit = pLimit(request.concurrency);
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(deps.signal?.reason);
  if (deps.signal?.aborted) onAbort();
  deps.signal?.addEventListener('abort', onAbort, { once: true });

  if (!request.dryRun) await mkdir(request.destination, { recursive: true });
  const root = await realpath(request.destination).catch(() => request.destination);
  const stored = await readManifestText(root);
  const previous = stored?.manifest;
  const known =
    previous?.prefix === prefix && previous.bucket === client.connection.bucket
      ? previous.objects
      : undefined;

  const files: MirrorFile[] = [];
  const refused: Array<{ key: string; reason: string }> = [];
  const archived: string[] = [];
  const entries = new Map<string, ManifestEntry>();
  const expected = new Set<string>();
  const folded = new Map<string, string>();
  const safeFolders = new Set<string>([root]);
  /** Folders that got a file: each is fsynced once at the end, so the renames in it are durable. */
  const written = new Set<string>();
  const failures: Array<{ key: string; error: unknown }> = [];
  let bytesDownloaded = 0;
  let listRequests = 0;
  let listingError: unknown;

  // Object tasks in flight are bounded, so memory stays flat however many keys the listing has.
  const active = new Set<Promise<void>>();
  const maxActive = request.concurrency * 4;

  const refuse = (key: string, reason: string): void => {
    refused.push({ key, reason });
    client.logger.warning(`Skipping '${key}': ${reason}; it cannot be written safely under the destination`);
  };

  const handle = async (object: ListedObject, file: string): Promise<void> => {
    const target = localPath(root, file);
    const decision = await decide(
      client,
      request,
      object,
      target,
      file,
      known?.get(object.key),
      controller.signal,
    );
    if (decision.action === 'skip') {
      files.push({ key: object.key, path: file, size: object.size, action: 'skip', reason: decision.reason });
      if (decision.entry) entries.set(object.key, decision.entry);
      return;
    }
    files.push({ key: object.key, path: file, size: object.size, action: 'download' });
    if (request.dryRun) return;
    await ensureFolder(root, path.dirname(target), safeFolders);
    const result = await fetchObject(
      client,
      downloadRequest(request, object.key, target),
      infoFromListing(object),
      { first: 0, length: object.size },
      { signal: controller.signal, limit, folderReady: true, ...onProgress(deps) },
    );
    written.add(path.dirname(target));
    if (result.status !== 'downloaded') return;
    bytesDownloaded += result.bytesDownloaded;
    const local = await stat(target);
    entries.set(object.key, entryFor(result.info, file, local.size, local.mtimeMs));
  };

  try {
    const listing =
      deps.listing ??
      listPages(client, { prefix, maxKeys: request.listPageSize ?? 1000, signal: controller.signal });
    for await (const page of listing) {
      listRequests++;
      for (const object of page.objects) {
        if (controller.signal.aborted) break;
        const relative = relativeKey(object.key, prefix);
        if (relative === undefined || relative === '' || !inScope(relative, object.key)) continue;
        const mapping = mapKey(relative, platform);
        if (mapping.kind === 'refused') {
          refuse(object.key, mapping.reason);
          continue;
        }
        if (mapping.kind === 'folder') {
          expected.add(mapping.relative);
          if (!request.dryRun) await ensureFolder(root, localPath(root, mapping.relative), safeFolders);
          continue;
        }
        if (caseInsensitive(platform)) {
          const clash = folded.get(foldedPath(mapping.relative));
          if (clash !== undefined) {
            refuse(object.key, `it differs only in case from '${clash}', and this file system ignores case`);
            continue;
          }
          folded.set(foldedPath(mapping.relative), object.key);
        }
        expected.add(mapping.relative);
        if (ARCHIVE_CLASSES.has(object.storageClass)) {
          archived.push(object.key);
          if (known?.has(object.key)) entries.set(object.key, known.get(object.key) as ManifestEntry);
          continue;
        }
        const unchanged = unchangedInManifest(
          request,
          object,
          root,
          mapping.relative,
          known?.get(object.key),
        );
        if (unchanged !== undefined) {
          files.push({
            key: object.key,
            path: mapping.relative,
            size: object.size,
            action: 'skip',
            reason: unchanged.reason,
          });
          entries.set(object.key, unchanged.entry);
          continue;
        }
        const task = handle(object, mapping.relative).catch((error: unknown) => {
          failures.push({ key: object.key, error });
          if (controller.signal.aborted) return;
          client.logger.warning(`'${object.key}' failed: ${errorMessage(error)}`);
        });
        active.add(task);
        void task.finally(() => active.delete(task));
        if (active.size >= maxActive) await Promise.race(active);
      }
      if (controller.signal.aborted) break;
    }
  } catch (error: unknown) {
    listingError = error;
  }
  await Promise.all(active);
  deps.signal?.removeEventListener('abort', onAbort);

  if (archived.length > 0) {
    const shown = archived.slice(0, 5).join(', ');
    client.logger.warning(
      `${archived.length} ARCHIVE / DEEP_ARCHIVE object(s) not downloaded (restore them first): ${shown}${archived.length > 5 ? ', …' : ''}`,
    );
  }

  const complete = listingError === undefined && failures.length === 0 && !controller.signal.aborted;
  let deleted = 0;
  if (request.delete && complete) {
    for (const file of await strayFiles(root, expected, prefix, inScope)) {
      files.push({
        key: `${prefix}${file.relative}`,
        path: file.relative,
        size: file.size,
        action: 'delete',
      });
      if (!request.dryRun) await rm(localPath(root, file.relative), { force: true });
      deleted++;
    }
  } else if (request.delete) {
    client.logger.warning(
      'Nothing was deleted: the listing or a download failed, so the mirror is incomplete',
    );
  }

  for (const folder of written) await syncDirectory(folder);
  let manifest: string | undefined;
  if (!request.dryRun) {
    manifest = await writeManifest(
      root,
      { bucket: client.connection.bucket, prefix, objects: entries },
      stored?.text,
    );
  }
  const result: MirrorResult = {
    destination: root,
    downloaded: files.filter((f) => f.action === 'download').length,
    skipped: files.filter((f) => f.action === 'skip').length,
    deleted,
    bytesDownloaded,
    files,
    refused,
    archived,
    ...(manifest === undefined ? {} : { manifest }),
    listRequests,
    elapsedMs: Date.now() - started,
  };
  if (listingError !== undefined) {
    throw new MirrorError(`Listing '${prefix}' failed: ${errorMessage(listingError)}`, result, listingError);
  }
  if (deps.signal?.aborted) throw deps.signal.reason;
  if (failures.length > 0) {
    const first = failures[0] as { key: string; error: unknown };
    const why = errorMessage(first.error);
    // Name the object when the error does not (a dropped connection says only 'other side closed').
    const named = why.includes(`'${first.key}'`) ? why : `'${first.key}': ${why}`;
    throw new MirrorError(
      `${failures.length} of ${result.downloaded} download(s) failed; first: ${named}`,
      result,
      first.error,
    );
  }
  return result;
}

function onProgress(deps: MirrorDeps): Pick<MirrorDeps, 'onStart' | 'onBytes'> {
  return {
    ...(deps.onStart ? { onStart: deps.onStart } : {}),
    ...(deps.onBytes ? { onBytes: deps.onBytes } : {}),
  };
}

function downloadRequest(request: MirrorRequest, key: string, destination: string): ObjectDownload {
  return {
    key,
    conditions: {},
    responseOverrides: {},
    destination,
    partSize: request.partSize,
    concurrency: request.concurrency,
    crc: request.crc,
    overwrite: 'always',
    ...(request.trafficLimit === undefined ? {} : { trafficLimit: request.trafficLimit }),
    ...(request.sseCustomerKey === undefined ? {} : { sseCustomerKey: request.sseCustomerKey }),
  };
}

function infoFromListing(object: ListedObject): ObjectInfo {
  return {
    key: object.key,
    etag: object.etag,
    size: object.size,
    lastModified: object.lastModified,
    storageClass: object.storageClass,
  };
}

function entryFor(info: ObjectInfo, file: string, localSize: number, localMtimeMs: number): ManifestEntry {
  return {
    key: info.key,
    etag: info.etag,
    ...(info.versionId === undefined ? {} : { 'version-id': info.versionId }),
    ...(info.crc64 === undefined ? {} : { crc64: info.crc64 }),
    size: info.size,
    path: file,
    'local-size': localSize,
    'local-mtime-ms': localMtimeMs,
  };
}

/**
 * The common case of a re-run, decided without a task or a promise: the manifest records the
 * object with its ETag and size, and one lstat shows the local file as the manifest left it.
 * Anything else (no record, no file, a change) is undefined: `decide` then looks closer.
 */
function unchangedInManifest(
  request: MirrorRequest,
  object: ListedObject,
  root: string,
  file: string,
  recorded: ManifestEntry | undefined,
): { readonly reason: string; readonly entry: ManifestEntry } | undefined {
  if (recorded === undefined || request.overwrite !== 'changed') return undefined;
  const local = lstatSync(localPath(root, file), { throwIfNoEntry: false });
  if (local === undefined || !local.isFile() || !manifestVouches(recorded, object, local)) return undefined;
  return {
    reason: 'unchanged (manifest)',
    entry: recorded.path === file ? recorded : { ...recorded, path: file },
  };
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

type Decision =
  | { readonly action: 'download' }
  | { readonly action: 'skip'; readonly reason: string; readonly entry?: ManifestEntry };

/** Download or skip: from the manifest with a stat, else by comparing content (MD5 or CRC64). */
async function decide(
  client: CosClient,
  request: MirrorRequest,
  object: ListedObject,
  target: string,
  file: string,
  recorded: ManifestEntry | undefined,
  signal: AbortSignal,
): Promise<Decision> {
  if (request.overwrite === 'always') return { action: 'download' };
  const local = await lstat(target).catch(() => undefined);
  if (local === undefined) return { action: 'download' };
  if (!local.isFile()) {
    throw new Error(
      `'${object.key}' cannot be written: ${file} exists and is not a regular file (a folder or a link)`,
    );
  }
  if (request.overwrite === 'never') return { action: 'skip', reason: 'exists (overwrite: never)' };
  if (recorded !== undefined && manifestVouches(recorded, object, local)) {
    return { action: 'skip', reason: 'unchanged (manifest)', entry: { ...recorded, path: file } };
  }
  if (local.size !== object.size) return { action: 'download' };
  let info = infoFromListing(object);
  if (plainMd5Etag(object.etag) === undefined) {
    // A multipart ETag is no MD5: ask COS for the object's CRC64 to compare with.
    const head = await headObject(client, object.key, accessFor(request), {}, signal);
    if (head.kind !== 'found' || head.info.etag !== object.etag) return { action: 'download' };
    info = head.info;
  }
  if (await localFileMatches(target, local.size, info)) {
    // A crash between a download's rename and its checkpoint's removal leaves the checkpoint behind.
    if (!request.dryRun) await removeCheckpoint(checkpointPathFor(target));
    return {
      action: 'skip',
      reason: 'unchanged (content)',
      entry: entryFor(info, file, local.size, local.mtimeMs),
    };
  }
  return { action: 'download' };
}

function accessFor(request: MirrorRequest) {
  return request.sseCustomerKey === undefined ? {} : { sseCustomerKey: request.sseCustomerKey };
}

/**
 * Creates `folder` under `root` one segment at a time, refusing to pass through a symlink or a
 * file, so a link planted in the destination can never lead a write outside it.
 */
async function ensureFolder(root: string, folder: string, safe: Set<string>): Promise<void> {
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
    const info = await lstat(current).catch(() => undefined);
    if (info === undefined) {
      await mkdir(current).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      });
      const made = await lstat(current);
      if (!made.isDirectory()) throw new Error(`${current} is not a folder`);
    } else if (info.isSymbolicLink()) {
      throw new Error(`refusing to follow the symlink ${current} found in the destination`);
    } else if (!info.isDirectory()) {
      throw new Error(`${current} is a file, but a key needs it to be a folder`);
    }
    safe.add(current);
  }
}

interface StrayFile {
  readonly relative: string;
  readonly size: number;
}

/** Files under `root` that the listing does not hold, within the filters' scope; never follows links. */
async function strayFiles(
  root: string,
  expected: ReadonlySet<string>,
  prefix: string,
  inScope: (relative: string, key: string) => boolean,
): Promise<StrayFile[]> {
  const stray: StrayFile[] = [];
  const walk = async (folder: string, relative: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        await walk(path.join(folder, entry.name), rel);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        if (rel === MANIFEST_NAME || OWN_FILE.test(entry.name) || expected.has(rel)) continue;
        if (!inScope(rel, `${prefix}${rel}`)) continue;
        const info = await lstat(path.join(folder, entry.name));
        stray.push({ relative: rel, size: info.size });
      }
    }
  };
  const exists = await lstat(root).catch(() => undefined);
  if (exists?.isDirectory()) await walk(root, '');
  return stray.sort((a, b) => (a.relative < b.relative ? -1 : 1));
}
