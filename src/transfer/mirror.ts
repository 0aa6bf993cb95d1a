// A prefix mirrored into a folder. Listing pages feed the download pool as they arrive; small
// objects and large objects' parts share one request budget; unchanged files are skipped from the
// manifest without a request; `delete` runs only after a complete, failure-free pass and removes
// only files this tool wrote (its manifest says so) that are still as it left them.
import { lstatSync, type Stats } from 'node:fs';
import { lstat, mkdir, readdir, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { errorMessage } from '../base/error-message.js';
import { type Clock, systemClock } from '../base/runtime.js';
import { quoteValue } from '../base/text.js';
import type { CosClient } from '../cos/client.js';
import { type ListedObject, type ListPage, listPages } from '../cos/list.js';
import { headObject, type ObjectInfo } from '../cos/object.js';
import { removeCheckpoint } from './checkpoint.js';
import { type DownloadDeps, fetchObject, LOCK_WAIT_MS, type ObjectDownload } from './download-object.js';
import {
  ensureFolder,
  filesOutside,
  PathClaims,
  PathConflict,
  PlantedLinkError,
  reachableFile,
  removeEmptiedFolders,
} from './local-folder.js';
import { localFileMatches, plainMd5Etag } from './local-match.js';
import { acquireLock, type HeldLock } from './lock.js';
import {
  type Manifest,
  type ManifestEntry,
  readManifest,
  sameInode,
  stillAsRecorded,
  writeManifest,
} from './manifest.js';
import { folderPrefix, keyFilter, type MirrorScope } from './mirror-scope.js';
import { localPath, mapKey, relativeKey } from './paths.js';
import { ensureOwnFolder, mirrorFileState, mirrorLockPath, removeIfEmpty, stateFolderOf } from './state.js';
import { syncDirectory } from './temp-file.js';

export interface MirrorRequest extends MirrorScope {
  readonly delete: boolean;
  /** A prefix that lists no object succeeds (with 0 files) instead of failing. */
  readonly allowEmpty?: boolean;
  /** Absolute folder. */
  readonly destination: string;
  readonly partSize: number;
  readonly concurrency: number;
  readonly crc: boolean;
  readonly overwrite: ObjectDownload['overwrite'];
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
  readonly onStart?: DownloadDeps['onStart'];
  readonly onBytes?: (count: number) => void;
  readonly clock?: Clock;
  /** How long to wait for another run mirroring into the same folder (default 60 s). */
  readonly lockWaitMs?: number;
  /** The folder's mirror lock, when the caller already holds it (the cache restores under it). */
  readonly lock?: HeldLock;
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
  /**
   * With `delete`: local files the prefix does not hold that were kept, because this tool did not
   * write them (`notOurs`) or they changed since it did (`changed`).
   */
  readonly kept: { readonly notOurs: number; readonly changed: number };
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

export async function mirrorPrefix(
  client: CosClient,
  request: MirrorRequest,
  deps: MirrorDeps = {},
): Promise<MirrorResult> {
  const clock = deps.clock ?? systemClock;
  const started = clock.now();
  if (!request.dryRun) await mkdir(request.destination, { recursive: true });
  const root = await realpath(request.destination).catch(() => request.destination);
  const temps = path.dirname(mirrorFileState(root, '').temp);
  let lock = deps.lock;
  if (!request.dryRun && lock === undefined) {
    await ensureOwnFolder(stateFolderOf(root));
    lock = await acquireLock(mirrorLockPath(root), {
      what: `the folder '${root}'`,
      waitMs: deps.lockWaitMs ?? LOCK_WAIT_MS,
      clock,
      logger: client.logger,
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
  }
  try {
    const stored = await readManifest(root);
    // A run that loses its lock to another (which took it over) stops at once.
    const lost = lock?.lost;
    const signal =
      lost === undefined
        ? deps.signal
        : deps.signal === undefined
          ? lost
          : AbortSignal.any([deps.signal, lost]);
    const run = new MirrorRun(
      client,
      request,
      signal === undefined ? deps : { ...deps, signal },
      root,
      stored.manifest,
    );
    await run.list();
    await run.settle();
    // A prefix that lists nothing fails here, before anything is deleted or recorded.
    if (run.empty && !request.allowEmpty)
      return run.finish(clock.now() - started, NOTHING_DELETED, undefined);
    const deletion = await run.reconcile();
    const manifest = await run.saveManifest(stored.text, stored.legacyPath);
    return run.finish(clock.now() - started, deletion, manifest);
  } finally {
    if (deps.lock === undefined) {
      await lock?.release();
      if (!request.dryRun) {
        await removeIfEmpty(temps);
        await removeIfEmpty(stateFolderOf(root));
      }
    }
  }
}

type Decision =
  | { readonly action: 'download' }
  | { readonly action: 'skip'; readonly reason: string; readonly entry?: ManifestEntry };

interface Deletion {
  readonly deleted: number;
  readonly kept: MirrorResult['kept'];
}

const NOTHING_DELETED: Deletion = { deleted: 0, kept: { notOurs: 0, changed: 0 } };

/** One mirror's pass: the listing, the decisions and downloads, then deletion and the manifest. */
class MirrorRun {
  readonly #client: CosClient;
  readonly #request: MirrorRequest;
  readonly #deps: MirrorDeps;
  readonly #root: string;
  readonly #prefix: string;
  readonly #inScope: (relative: string, key: string) => boolean;
  readonly #platform: NodeJS.Platform;
  /** What the previous run recorded for this bucket and prefix. */
  readonly #known: ReadonlyMap<string, ManifestEntry> | undefined;
  readonly #controller = new AbortController();
  readonly #limit: ReturnType<typeof pLimit>;
  readonly #claims: PathClaims;
  readonly #safeFolders: Set<string>;
  /** Folders that got a file: each is fsynced once at the end, so the renames in it are durable. */
  readonly #written = new Set<string>();
  readonly #files: MirrorFile[] = [];
  readonly #refused: Array<{ key: string; reason: string }> = [];
  readonly #archived: string[] = [];
  readonly #entries = new Map<string, ManifestEntry>();
  /** Keys whose download failed: their earlier manifest entries (and files) stay as they were. */
  readonly #failed: Array<{ key: string; error: unknown }> = [];
  readonly #active = new Set<Promise<void>>();
  #listingError: unknown;
  #listRequests = 0;
  /** Objects under the prefix (before filters): 0 means the prefix lists nothing. */
  #listed = 0;
  #bytesDownloaded = 0;

  constructor(
    client: CosClient,
    request: MirrorRequest,
    deps: MirrorDeps,
    root: string,
    previous: Manifest | undefined,
  ) {
    this.#client = client;
    this.#request = request;
    this.#deps = deps;
    this.#root = root;
    this.#prefix = folderPrefix(request.prefix);
    this.#inScope = keyFilter(request);
    this.#platform = request.platform ?? process.platform;
    this.#known =
      previous?.prefix === this.#prefix && previous.bucket === client.connection.bucket
        ? trustedEntries(previous.objects, this.#prefix, this.#platform)
        : undefined;
    this.#limit = pLimit(request.concurrency);
    this.#claims = new PathClaims(this.#platform);
    this.#safeFolders = new Set([root]);
    const onAbort = (): void => this.#controller.abort(deps.signal?.reason);
    if (deps.signal?.aborted) onAbort();
    deps.signal?.addEventListener('abort', onAbort, { once: true });
  }

  get #logger() {
    return this.#client.logger;
  }

  /** Walks the listing, deciding each key and starting its download; object tasks in flight are bounded. */
  async list(): Promise<void> {
    const request = this.#request;
    if (!request.dryRun) {
      await ensureOwnFolder(stateFolderOf(this.#root));
      await ensureOwnFolder(path.dirname(mirrorFileState(this.#root, '').temp));
    }
    const maxActive = request.concurrency * 4;
    try {
      const listing =
        this.#deps.listing ??
        listPages(this.#client, {
          prefix: this.#prefix,
          maxKeys: request.listPageSize ?? 1000,
          signal: this.#controller.signal,
        });
      for await (const page of listing) {
        this.#listRequests++;
        for (const object of page.objects) {
          if (this.#controller.signal.aborted) break;
          this.#consider(object);
          if (this.#active.size >= maxActive) await Promise.race(this.#active);
        }
        if (this.#controller.signal.aborted) break;
      }
    } catch (error: unknown) {
      this.#listingError = error;
    }
  }

  #refuse(key: string, reason: string): void {
    this.#refused.push({ key, reason });
    this.#logger.warning(`Skipping '${key}': ${reason}; it cannot be written safely under the destination`);
  }

  /** Decides one listed object: out of scope, refused, a folder, archived, unchanged, or a download task. */
  #consider(object: ListedObject): void {
    const relative = relativeKey(object.key, this.#prefix);
    if (relative === undefined || relative === '') return;
    this.#listed++;
    if (!this.#inScope(relative, object.key)) return;
    const mapping = mapKey(relative, this.#platform);
    if (mapping.kind === 'refused') {
      this.#refuse(object.key, mapping.reason);
      this.#keepEarlier(object.key);
      return;
    }
    const conflict = this.#claims.claim(mapping.relative, object.key, mapping.kind);
    if (conflict !== undefined) {
      this.#refuse(object.key, conflict);
      this.#keepEarlier(object.key);
      return;
    }
    if (mapping.kind === 'folder') {
      if (!this.#request.dryRun) this.#startTask(object, () => this.#makeFolder(mapping.relative));
      return;
    }
    const file = mapping.relative;
    if (ARCHIVE_CLASSES.has(object.storageClass)) {
      this.#archived.push(object.key);
      this.#keepEarlier(object.key);
      return;
    }
    const unchanged = this.#unchangedInManifest(object, file);
    if (unchanged !== undefined) {
      this.#files.push({
        key: object.key,
        path: file,
        size: object.size,
        action: 'skip',
        reason: unchanged.reason,
      });
      this.#entries.set(object.key, unchanged.entry);
      return;
    }
    this.#startTask(object, () => this.#mirrorFile(object, file));
  }

  #startTask(object: ListedObject, work: () => Promise<void>): void {
    const task = work().catch((error: unknown) => {
      if (error instanceof PathConflict || (error as NodeJS.ErrnoException).code === 'ENAMETOOLONG') {
        this.#refuse(
          object.key,
          error instanceof PathConflict ? error.message : 'its path is too long for this file system',
        );
        this.#keepEarlier(object.key);
        return;
      }
      this.#failed.push({ key: object.key, error });
      this.#keepEarlier(object.key);
      if (this.#controller.signal.aborted) return;
      this.#logger.warning(`'${object.key}' failed: ${errorMessage(error)}`);
    });
    this.#active.add(task);
    void task.finally(() => this.#active.delete(task));
  }

  /** A key this run could not write keeps what the previous run recorded: the file is still there. */
  #keepEarlier(key: string): void {
    const earlier = this.#known?.get(key);
    if (earlier !== undefined) this.#entries.set(key, earlier);
  }

  async #makeFolder(relative: string): Promise<void> {
    await ensureFolder(this.#root, localPath(this.#root, relative), this.#safeFolders);
  }

  async #mirrorFile(object: ListedObject, file: string): Promise<void> {
    const request = this.#request;
    const target = localPath(this.#root, file);
    const decision = await this.#decide(object, target, file);
    if (decision.action === 'skip') {
      this.#files.push({
        key: object.key,
        path: file,
        size: object.size,
        action: 'skip',
        reason: decision.reason,
      });
      if (decision.entry) this.#entries.set(object.key, decision.entry);
      return;
    }
    this.#files.push({ key: object.key, path: file, size: object.size, action: 'download' });
    if (request.dryRun) return;
    await ensureFolder(this.#root, path.dirname(target), this.#safeFolders);
    const result = await fetchObject(
      this.#client,
      { ...downloadRequest(request, object.key, target), state: mirrorFileState(this.#root, file) },
      infoFromListing(object),
      { first: 0, length: object.size },
      {
        signal: this.#controller.signal,
        limit: this.#limit,
        folderReady: true,
        ...(this.#deps.onStart ? { onStart: this.#deps.onStart } : {}),
        ...(this.#deps.onBytes ? { onBytes: this.#deps.onBytes } : {}),
      },
    );
    this.#written.add(path.dirname(target));
    if (result.status !== 'downloaded') return;
    this.#bytesDownloaded += result.bytesDownloaded;
    this.#entries.set(object.key, entryFor(result.info, file, await lstat(target), true));
  }

  /**
   * The common case of a re-run, decided without a task or a promise: the manifest records the
   * object with its ETag and size, and one lstat shows the local file as the manifest left it.
   * Anything else (no record, no file, a change) is undefined: `#decide` then looks closer.
   */
  #unchangedInManifest(
    object: ListedObject,
    file: string,
  ): { readonly reason: string; readonly entry: ManifestEntry } | undefined {
    const recorded = this.#known?.get(object.key);
    if (recorded === undefined || this.#request.overwrite !== 'changed') return undefined;
    const local = lstatSync(localPath(this.#root, file), { throwIfNoEntry: false });
    if (local === undefined || !local.isFile() || !manifestVouches(recorded, object, local)) return undefined;
    return {
      reason: 'unchanged (manifest)',
      entry: recorded.path === file ? recorded : { ...recorded, path: file },
    };
  }

  /** Download or skip: from the manifest with a stat, else by comparing content (MD5 or CRC64). */
  async #decide(object: ListedObject, target: string, file: string): Promise<Decision> {
    const request = this.#request;
    if (request.overwrite === 'always') {
      await this.#checkTarget(object, target, file);
      return { action: 'download' };
    }
    const local = await this.#checkTarget(object, target, file);
    if (local === undefined) return { action: 'download' };
    if (request.overwrite === 'never') return { action: 'skip', reason: 'exists (overwrite: never)' };
    const recorded = this.#known?.get(object.key);
    if (recorded !== undefined && manifestVouches(recorded, object, local)) {
      return { action: 'skip', reason: 'unchanged (manifest)', entry: { ...recorded, path: file } };
    }
    if (local.size !== object.size) return { action: 'download' };
    let info = infoFromListing(object);
    if (plainMd5Etag(object.etag) === undefined) {
      // A multipart ETag is no MD5: ask COS for the object's CRC64 to compare with.
      const access = request.sseCustomerKey === undefined ? {} : { sseCustomerKey: request.sseCustomerKey };
      const head = await headObject(this.#client, object.key, access, {}, this.#controller.signal);
      if (head.kind !== 'found' || head.info.etag !== object.etag) return { action: 'download' };
      info = head.info;
    }
    if (await localFileMatches(target, local.size, info)) {
      // A crash between a download's rename and its checkpoint's removal leaves the checkpoint behind.
      if (!request.dryRun) await removeCheckpoint(mirrorFileState(this.#root, file).checkpoint);
      // The file was there before: it is the object's, but not one this tool wrote.
      const written = recorded?.written === true && recorded.etag === object.etag;
      return {
        action: 'skip',
        reason: 'unchanged (content)',
        entry: entryFor(info, file, local, written),
      };
    }
    return { action: 'download' };
  }

  /** The local file at a key's path, if any; a folder there is a conflict, a link a planted one. */
  async #checkTarget(object: ListedObject, target: string, file: string) {
    const local = await lstat(target).catch(() => undefined);
    if (local === undefined || local.isFile()) return local;
    if (local.isSymbolicLink()) {
      throw new PlantedLinkError(
        `'${object.key}' cannot be written: ${file} is a symlink in the destination`,
      );
    }
    throw new PathConflict(`${file} exists here and is not a file (a folder, say)`);
  }

  /** Waits for every object task, then warns about archived objects. */
  async settle(): Promise<void> {
    await Promise.all(this.#active);
    if (this.#archived.length > 0) {
      const shown = this.#archived.slice(0, 5).join(', ');
      this.#logger.warning(
        `${this.#archived.length} ARCHIVE / DEEP_ARCHIVE object(s) not downloaded (restore them first): ${shown}${this.#archived.length > 5 ? ', …' : ''}`,
      );
    }
  }

  /** The listing ended and held no object under the prefix. */
  get empty(): boolean {
    return this.#listed === 0 && this.#listingError === undefined && !this.#controller.signal.aborted;
  }

  get #complete(): boolean {
    return this.#listingError === undefined && this.#failed.length === 0 && !this.#controller.signal.aborted;
  }

  /**
   * The previous run's entries this run did not record again. With `delete`, after a complete pass
   * over a listing that held objects: a file this tool wrote, in scope, no longer listed, and still
   * exactly as it left it (size, mtime, inode and change time), reached through no link, is removed
   * with the folders that leaves empty. Every other such entry whose file is still as recorded is
   * carried into the new manifest (it stays ours, for a later `delete`); the rest are dropped.
   */
  async reconcile(): Promise<Deletion> {
    const request = this.#request;
    const deleting = request.delete && this.#complete && this.#listed > 0;
    if (request.delete && !this.#complete) {
      this.#logger.warning(
        'Nothing was deleted: the listing or a download failed, so the mirror is incomplete',
      );
    }
    let deleted = 0;
    let changed = 0;
    const removed = new Set<string>();
    const stale = [...(this.#known?.values() ?? [])].filter((entry) => !this.#entries.has(entry.key));
    for (const entry of stale.sort((a, b) => (a.path < b.path ? -1 : 1))) {
      const relative = relativeKey(entry.key, this.#prefix) as string;
      const eligible = deleting && !this.#claims.has(entry.path) && this.#inScope(relative, entry.key);
      const local = await reachableFile(this.#root, entry.path);
      if (local === undefined) continue;
      if (!eligible) {
        if (stillAsRecorded(entry, local)) this.#entries.set(entry.key, entry);
        continue;
      }
      removed.add(entry.path);
      if (!entry.written || !stillAsRecorded(entry, local) || !sameInode(entry, local)) {
        changed += entry.written ? 1 : 0;
        continue;
      }
      this.#files.push({ key: entry.key, path: entry.path, size: local.size, action: 'delete' });
      deleted++;
      if (request.dryRun) continue;
      await rm(localPath(this.#root, entry.path), { force: true });
      await removeEmptiedFolders(this.#root, entry.path, (folder) => this.#claims.has(folder));
    }
    if (!deleting) return NOTHING_DELETED;
    const notOurs = await filesOutside(this.#root, (file) => this.#claims.has(file) || removed.has(file));
    if (notOurs.length + changed > 0) {
      const shown = notOurs.slice(0, 3).map(quoteValue).join(', ');
      this.#logger.info(
        `Kept ${notOurs.length} local file(s) the prefix does not hold that cos-download did not write` +
          `${shown === '' ? '' : ` (${shown}${notOurs.length > 3 ? ', …' : ''})`}` +
          `${changed > 0 ? `, and ${changed} it wrote that changed since` : ''}: delete removes only files it wrote`,
      );
    }
    return { deleted, kept: { notOurs: notOurs.length, changed } };
  }

  /** Writes the manifest (dry runs write nothing); a migrated legacy manifest is removed after. */
  async saveManifest(
    previous: string | undefined,
    legacyPath: string | undefined,
  ): Promise<string | undefined> {
    if (this.#request.dryRun) return undefined;
    for (const folder of this.#written) await syncDirectory(folder);
    const manifest = await writeManifest(
      this.#root,
      { bucket: this.#client.connection.bucket, prefix: this.#prefix, objects: this.#entries },
      previous,
    );
    if (legacyPath !== undefined && !this.#claims.has(path.basename(legacyPath))) {
      await rm(legacyPath, { force: true });
    }
    if (this.#complete) await removeLeftovers(path.dirname(mirrorFileState(this.#root, '').temp));
    return manifest;
  }

  finish(elapsedMs: number, deletion: Deletion, manifest: string | undefined): MirrorResult {
    const files = this.#files;
    const result: MirrorResult = {
      destination: this.#root,
      downloaded: files.filter((f) => f.action === 'download').length,
      skipped: files.filter((f) => f.action === 'skip').length,
      deleted: deletion.deleted,
      bytesDownloaded: this.#bytesDownloaded,
      files,
      refused: this.#refused,
      archived: this.#archived,
      kept: deletion.kept,
      ...(manifest === undefined ? {} : { manifest }),
      listRequests: this.#listRequests,
      elapsedMs,
    };
    if (this.#listingError !== undefined) {
      throw new MirrorError(
        `Listing '${this.#prefix}' failed: ${errorMessage(this.#listingError)}`,
        result,
        this.#listingError,
      );
    }
    if (this.#deps.signal?.aborted) throw this.#deps.signal.reason;
    if (this.#failed.length > 0) {
      const first = this.#failed[0] as { key: string; error: unknown };
      const why = errorMessage(first.error);
      // Name the object when the error does not (a dropped connection says only 'other side closed').
      const named = why.includes(`'${first.key}'`) ? why : `'${first.key}': ${why}`;
      throw new MirrorError(
        `${this.#failed.length} of ${result.downloaded} download(s) failed; first: ${named}`,
        result,
        first.error,
      );
    }
    if (this.#listed === 0 && !this.#request.allowEmpty) {
      throw new MirrorError(
        `The prefix '${this.#prefix}' lists no objects in bucket '${this.#client.connection.bucket}', so nothing was ` +
          'downloaded or deleted. Fix: check the prefix (keys are case-sensitive, and the prefix is a folder), ' +
          'or allow an empty prefix with allow-empty: true (--allow-empty)',
        result,
        undefined,
      );
    }
    return result;
  }
}

/** Removes what is left in the mirror's temp folder after a complete pass (no download can resume it). */
async function removeLeftovers(folder: string): Promise<void> {
  const names = await readdir(folder).catch(() => []);
  // Whatever is there (a planted folder too); rm never follows a link.
  for (const name of names)
    await rm(path.join(folder, name), { recursive: true, force: true }).catch(() => {});
  await removeIfEmpty(folder);
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

function entryFor(info: ObjectInfo, file: string, local: Stats, written: boolean): ManifestEntry {
  return {
    key: info.key,
    etag: info.etag,
    ...(info.versionId === undefined ? {} : { 'version-id': info.versionId }),
    ...(info.crc64 === undefined ? {} : { crc64: info.crc64 }),
    size: info.size,
    path: file,
    'local-size': local.size,
    'local-mtime-ms': local.mtimeMs,
    'local-ino': local.ino,
    'local-ctime-ms': local.ctimeMs,
    written,
  };
}

/**
 * The previous manifest's entries that can be trusted at all: each names the path its own key maps
 * to. One that names another path (`../x`, a path through a folder a key never had) was not
 * written by this tool, and is ignored.
 */
function trustedEntries(
  objects: ReadonlyMap<string, ManifestEntry>,
  prefix: string,
  platform: NodeJS.Platform,
): Map<string, ManifestEntry> {
  const trusted = new Map<string, ManifestEntry>();
  for (const [key, entry] of objects) {
    const relative = relativeKey(key, prefix);
    const mapping = relative === undefined ? undefined : mapKey(relative, platform);
    if (mapping?.kind === 'file' && mapping.relative === entry.path) trusted.set(key, entry);
  }
  return trusted;
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
