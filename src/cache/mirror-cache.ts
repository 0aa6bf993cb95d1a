// A mirror kept in the Actions cache: list the prefix, restore the entry whose fingerprint matches
// (or the newest of the same prefix), let skip-unchanged fetch only what changed, then save.
// The cache only ever saves work: any failure of it is a warning, and the mirror goes on from COS.
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../base/error-message.js';
import { systemClock } from '../base/runtime.js';
import { isStateSegment } from '../base/state-name.js';
import { quoteValue } from '../base/text.js';
import type { CosClient } from '../cos/client.js';
import { type ListedObject, type ListPage, listPages } from '../cos/list.js';
import { LOCK_WAIT_MS } from '../transfer/download-object.js';
import { reachableFile } from '../transfer/local-folder.js';
import { acquireLock, type HeldLock } from '../transfer/lock.js';
import {
  type ManifestEntry,
  readManifest,
  sameInode,
  stillAsRecorded,
  withLocalIdentity,
  writeManifest,
} from '../transfer/manifest.js';
import { type MirrorDeps, type MirrorRequest, type MirrorResult, mirrorPrefix } from '../transfer/mirror.js';
import { folderPrefix, inMirrorScope } from '../transfer/mirror-scope.js';
import { pathInside } from '../transfer/paths.js';
import { ensureOwnFolder, mirrorLockPath, stateFolderOf } from '../transfer/state.js';
import { cacheKeys } from './keys.js';

/** The Actions cache as the mirror uses it; the action wires `@actions/cache` behind it. */
export interface CacheStore {
  /** Restores `paths`; returns the key it restored (`key` or one starting with a restore key), or undefined. */
  restore(paths: string[], key: string, restoreKeys: string[]): Promise<string | undefined>;
  /** Saves `paths` under `key`; false when the service did not take it. */
  save(paths: string[], key: string): Promise<boolean>;
}

export type CacheHit = 'true' | 'partial' | 'false';

export interface CacheOutcome {
  readonly hit: CacheHit;
  /** The key this listing saves under. */
  readonly key: string;
  readonly restoredKey?: string;
  readonly saved: boolean;
}

export interface CachedMirrorResult {
  readonly mirror: MirrorResult;
  readonly cache: CacheOutcome;
}

export async function cachedMirror(
  client: CosClient,
  request: MirrorRequest & { readonly cacheKey?: string },
  store: CacheStore,
  deps: MirrorDeps = {},
): Promise<CachedMirrorResult> {
  const logger = client.logger;
  const prefix = folderPrefix(request.prefix);
  const pages = await listAll(client, prefix, request.listPageSize ?? 1000, deps.signal);
  const inScope = inMirrorScope(request);
  const listed = pages.flatMap((page) => page.objects.filter((object) => inScope(object.key)));
  const keys = cacheKeys({
    bucket: client.connection.bucket,
    prefix,
    ...(request.cacheKey === undefined ? {} : { cacheKey: request.cacheKey }),
    scope: request,
    objects: listed,
  });

  if (request.dryRun) {
    logger.info('Dry run: the Actions cache is neither restored nor saved');
    const mirror = await mirrorPrefix(client, request, { ...deps, listing: pages });
    return { mirror, cache: { hit: 'false', key: keys.exact, saved: false } };
  }

  // The restore writes into the destination: it runs under the mirror's lock, like the mirror.
  await mkdir(request.destination, { recursive: true });
  await ensureOwnFolder(stateFolderOf(request.destination));
  const lock = await acquireLock(mirrorLockPath(request.destination), {
    what: `the folder '${request.destination}'`,
    waitMs: deps.lockWaitMs ?? LOCK_WAIT_MS,
    clock: deps.clock ?? systemClock,
    logger,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  try {
    return await restoreMirrorSave(client, request, store, { ...deps, lock }, keys, listed, pages);
  } finally {
    await lock.release();
  }
}

async function restoreMirrorSave(
  client: CosClient,
  request: MirrorRequest,
  store: CacheStore,
  deps: MirrorDeps & { readonly lock: HeldLock },
  keys: ReturnType<typeof cacheKeys>,
  listed: readonly ListedObject[],
  pages: readonly ListPage[],
): Promise<CachedMirrorResult> {
  const logger = client.logger;
  const paths = [request.destination];
  const before = await filesUnder(request.destination);
  // The cache holds a mirror, not the user's files: a restore over files this tool did not write
  // would overwrite them, and a save would carry them into the cache.
  const foreign = await filesNotOurs(request.destination, before);
  if (foreign.length > 0) {
    logger.warning(
      `The Actions cache is neither restored nor saved: the destination holds ${foreign.length} file(s) cos-download did not write ` +
        `(${foreign.slice(0, 3).map(quoteValue).join(', ')}${foreign.length > 3 ? ', …' : ''}); give cache: true a folder of its own`,
    );
    const mirror = await mirrorPrefix(client, request, { ...deps, listing: pages });
    return { mirror, cache: { hit: 'false', key: keys.exact, saved: false } };
  }
  let restoredKey: string | undefined;
  try {
    restoredKey = await store.restore(paths, keys.exact, [keys.restorePrefix]);
  } catch (error: unknown) {
    logger.warning(`The Actions cache could not be restored (${errorMessage(error)}); downloading from COS`);
  }
  const hit: CacheHit = restoredKey === undefined ? 'false' : restoredKey === keys.exact ? 'true' : 'partial';
  if (restoredKey !== undefined) {
    // The archive holds the saving run's lock: this run's goes back in place.
    await deps.lock.reclaim();
    await adoptRestored(request.destination);
  }
  if (hit === 'true') logger.info(`Actions cache hit: ${keys.exact}`);
  else if (hit === 'partial') {
    logger.info(`Actions cache partial hit: ${restoredKey}; downloading what changed since`);
    await pruneRestored(request.destination, new Set(listed.map((object) => object.key)), before);
  } else logger.info(`Actions cache miss: ${keys.exact}`);

  const mirror = await mirrorPrefix(client, request, { ...deps, listing: pages });

  let saved = false;
  if (hit !== 'true') {
    try {
      saved = await store.save(paths, keys.exact);
      if (saved) logger.info(`Saved the mirror to the Actions cache: ${keys.exact}`);
      else logger.warning(`The mirror was not saved to the Actions cache under ${keys.exact}`);
    } catch (error: unknown) {
      logger.warning(`The mirror could not be saved to the Actions cache: ${errorMessage(error)}`);
    }
  }
  return {
    mirror,
    cache: { hit, key: keys.exact, ...(restoredKey === undefined ? {} : { restoredKey }), saved },
  };
}

/** The whole listing, before anything is downloaded: the cache key depends on all of it. */
async function listAll(
  client: CosClient,
  prefix: string,
  maxKeys: number,
  signal: AbortSignal | undefined,
): Promise<ListPage[]> {
  const pages: ListPage[] = [];
  try {
    for await (const page of listPages(client, { prefix, maxKeys, ...(signal ? { signal } : {}) })) {
      pages.push(page);
    }
  } catch (error: unknown) {
    throw new Error(`Listing '${prefix}' failed: ${errorMessage(error)}`, { cause: error });
  }
  return pages;
}

/** Files under `folder` (relative, `/`-separated), outside its state folder; empty when it does not exist yet. */
async function filesUnder(folder: string): Promise<Set<string>> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = new Set<string>();
  for (const entry of entries) {
    if (entry.isDirectory()) continue;
    const relative = path.relative(folder, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
    if (!isStateSegment(relative.split('/')[0] ?? '')) files.add(relative);
  }
  return files;
}

/** Which of `files` the mirror's manifest does not vouch for as written by this tool and untouched since. */
async function filesNotOurs(destination: string, files: ReadonlySet<string>): Promise<string[]> {
  if (files.size === 0) return [];
  const { manifest } = await readManifest(destination);
  const byPath = new Map([...(manifest?.objects.values() ?? [])].map((entry) => [entry.path, entry]));
  const foreign: string[] = [];
  for (const file of [...files].sort()) {
    const entry = byPath.get(file);
    const local = entry?.written ? await reachableFile(destination, file) : undefined;
    if (
      entry === undefined ||
      local === undefined ||
      !stillAsRecorded(entry, local) ||
      !sameInode(entry, local)
    ) {
      foreign.push(file);
    }
  }
  return foreign;
}

/**
 * The restored manifest recorded each file as it was on the machine that saved it. The restore
 * (this tool, through the cache) wrote those files here: each written entry whose file arrived as
 * recorded (size and mtime, through no link) takes the identity it has now, so skip-unchanged and
 * `delete` treat it as this run's own.
 */
async function adoptRestored(destination: string): Promise<void> {
  const stored = await readManifest(destination);
  const manifest = stored.manifest;
  if (manifest === undefined) return;
  const objects = new Map<string, ManifestEntry>();
  for (const [key, entry] of manifest.objects) {
    const local = entry.written ? await reachableFile(destination, entry.path) : undefined;
    objects.set(
      key,
      local !== undefined && stillAsRecorded(entry, local) ? withLocalIdentity(entry, local) : entry,
    );
  }
  await writeManifest(destination, { ...manifest, objects }, stored.text);
}

/**
 * An older entry may hold files whose keys are gone from the listing. Those the restore brought
 * (not there before it), recorded as written and arrived as recorded, are removed, so the
 * destination holds what the prefix holds now and the next save does not carry them on. Nothing
 * is reached through a link, nothing outside the destination is touched.
 */
async function pruneRestored(
  destination: string,
  listedKeys: ReadonlySet<string>,
  before: ReadonlySet<string>,
): Promise<void> {
  const { manifest } = await readManifest(destination);
  if (manifest === undefined) return;
  for (const entry of manifest.objects.values()) {
    if (listedKeys.has(entry.key) || before.has(entry.path) || !entry.written) continue;
    const local = await reachableFile(destination, entry.path);
    if (local === undefined || !stillAsRecorded(entry, local) || !sameInode(entry, local)) continue;
    const target = pathInside(destination, entry.path);
    if (target !== undefined) await rm(target, { force: true });
  }
}
