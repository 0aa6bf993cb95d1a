// A mirror kept in the Actions cache: list the prefix, restore the entry whose fingerprint matches
// (or the newest of the same prefix), let skip-unchanged fetch only what changed, then save.
// The cache only ever saves work: any failure of it is a warning, and the mirror goes on from COS.
// The listing is fingerprinted as it goes by and kept in a file while the mirror replays it, so
// memory does not grow with the number of keys.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { errorMessage } from '../base/error-message.js';
import { quoteValue } from '../base/text.js';
import type { CosClient } from '../cos/client.js';
import { compareUtf8, listPages } from '../cos/list.js';
import { filesInKeyOrder, reachableFile } from '../transfer/local-folder.js';
import { acquireLock, type HeldLock } from '../transfer/lock.js';
import { type ManifestEntry, sameInode, stillAsRecorded, withLocalIdentity } from '../transfer/manifest.js';
import { ManifestReader, rewriteManifest } from '../transfer/manifest-stream.js';
import { type MirrorRequest, type MirrorResult, mirrorPrefix } from '../transfer/mirror.js';
import { folderPrefix, inMirrorScope } from '../transfer/mirror-scope.js';
import { pathInside } from '../transfer/paths.js';
import type { TransferDeps, TransferSettings } from '../transfer/settings.js';
import { ensureOwnFolder, mirrorLockPath, stateFolderOf } from '../transfer/state.js';
import { cacheKeys, Fingerprint } from './keys.js';
import { ListingSpill } from './listing-spill.js';

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
  readonly restoredKey?: string | undefined;
  readonly saved: boolean;
}

export interface CachedMirrorResult {
  readonly mirror: MirrorResult;
  readonly cache: CacheOutcome;
}

export async function cachedMirror(
  client: CosClient,
  request: MirrorRequest & { readonly cacheKey?: string | undefined },
  settings: TransferSettings,
  store: CacheStore,
  deps: TransferDeps,
): Promise<CachedMirrorResult> {
  const { logger } = deps;
  const prefix = folderPrefix(request.prefix);
  const spill = await ListingSpill.create(await mkdtemp(path.join(tmpdir(), 'cos-download-listing-')));
  try {
    const fingerprint = await listAll(client, prefix, request, spill, deps.signal);
    const keys = cacheKeys({
      bucket: client.connection.bucket,
      prefix,
      cacheKey: request.cacheKey,
      fingerprint,
    });
    if (settings.dryRun) {
      logger.info('Dry run: the Actions cache is neither restored nor saved');
      const mirror = await mirrorPrefix(client, request, settings, deps, { listing: spill.pages() });
      return { mirror, cache: { hit: 'false', key: keys.exact, saved: false } };
    }
    // The restore writes into the destination: it runs under the mirror's lock, like the mirror.
    await mkdir(request.destination, { recursive: true });
    await ensureOwnFolder(stateFolderOf(request.destination));
    const lock = await acquireLock(mirrorLockPath(request.destination), {
      what: `the folder '${request.destination}'`,
      waitMs: deps.lockWaitMs,
      clock: deps.clock,
      logger,
      signal: deps.signal,
    });
    try {
      return await restoreMirrorSave({ client, request, settings, store, deps, lock, keys, spill, prefix });
    } finally {
      await lock.release();
    }
  } finally {
    await spill.remove();
  }
}

interface CacheRun {
  readonly client: CosClient;
  readonly request: MirrorRequest;
  readonly settings: TransferSettings;
  readonly store: CacheStore;
  readonly deps: TransferDeps;
  readonly lock: HeldLock;
  readonly keys: ReturnType<typeof cacheKeys>;
  readonly spill: ListingSpill;
  readonly prefix: string;
}

async function restoreMirrorSave(run: CacheRun): Promise<CachedMirrorResult> {
  const { client, request, settings, store, deps, keys, spill, prefix } = run;
  const { logger } = deps;
  const paths = [request.destination];
  const scope = { bucket: client.connection.bucket, prefix };
  const local = await localFiles(request.destination, scope);
  // The cache holds a mirror, not the user's files: a restore over files this tool did not write
  // would overwrite them, and a save would carry them into the cache.
  if (local.foreign.length > 0) {
    logger.warning(
      `The Actions cache is neither restored nor saved: the destination holds ${local.foreignCount} file(s) cos-download did not write ` +
        `(${local.foreign.map(quoteValue).join(', ')}${local.foreignCount > local.foreign.length ? ', …' : ''}); give cache: true a folder of its own`,
    );
    const mirror = await mirrorPrefix(client, request, settings, deps, {
      listing: spill.pages(),
      lock: run.lock,
    });
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
    await run.lock.reclaim();
    await adoptRestored(request.destination, scope);
  }
  if (hit === 'true') logger.info(`Actions cache hit: ${keys.exact}`);
  else if (hit === 'partial') {
    logger.info(`Actions cache partial hit: ${restoredKey}; downloading what changed since`);
    await pruneRestored(request.destination, scope, spill, inMirrorScope(request), local.files);
  } else logger.info(`Actions cache miss: ${keys.exact}`);

  const mirror = await mirrorPrefix(client, request, settings, deps, {
    listing: spill.pages(),
    lock: run.lock,
  });

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
    cache: { hit, key: keys.exact, restoredKey, saved },
  };
}

/** The whole listing, before anything is downloaded (the cache key depends on all of it): kept in `spill`. */
async function listAll(
  client: CosClient,
  prefix: string,
  request: MirrorRequest,
  spill: ListingSpill,
  signal: AbortSignal,
): Promise<string> {
  const inScope = inMirrorScope(request);
  const fingerprint = new Fingerprint(prefix, request);
  try {
    for await (const page of listPages(client, { prefix, maxKeys: request.listPageSize ?? 1000, signal })) {
      for (const object of page.objects) if (inScope(object.key)) fingerprint.add(object);
      await spill.add(page);
    }
  } catch (error: unknown) {
    throw new Error(`Listing '${prefix}' failed: ${errorMessage(error)}`, { cause: error });
  }
  return fingerprint.digest();
}

/** How many the sample of foreign files shows. */
const SHOWN = 3;

/**
 * The files in the destination before the restore, and those of them the mirror's manifest does not
 * vouch for as written by this tool and untouched since (a walk and the manifest, both in key order).
 */
async function localFiles(
  destination: string,
  scope: { readonly bucket: string; readonly prefix: string },
): Promise<{ files: Set<string>; foreign: string[]; foreignCount: number }> {
  const files = new Set<string>();
  const foreign: string[] = [];
  let foreignCount = 0;
  const reader = await ManifestReader.open(destination, scope);
  try {
    const entries = reader.rest();
    let next = await entries.next();
    for await (const file of filesInKeyOrder(destination)) {
      files.add(file);
      while (!next.done && compareUtf8(next.value.path, file) < 0) next = await entries.next();
      const entry = !next.done && next.value.path === file ? next.value : undefined;
      const stats = entry?.written ? await reachableFile(destination, file) : undefined;
      if (
        entry !== undefined &&
        stats !== undefined &&
        stillAsRecorded(entry, stats) &&
        sameInode(entry, stats)
      )
        continue;
      foreignCount++;
      if (foreign.length < SHOWN) foreign.push(file);
    }
  } finally {
    await reader.close();
  }
  return { files, foreign, foreignCount };
}

/**
 * The restored manifest recorded each file as it was on the machine that saved it. The restore
 * (this tool, through the cache) wrote those files here: each written entry whose file arrived as
 * recorded (size and mtime, through no link) takes the identity it has now, so skip-unchanged and
 * `delete` treat it as this run's own.
 */
async function adoptRestored(
  destination: string,
  scope: { readonly bucket: string; readonly prefix: string },
): Promise<void> {
  await rewriteManifest(destination, scope, async (entry) => {
    const local = entry.written ? await reachableFile(destination, entry.path) : undefined;
    return local !== undefined && stillAsRecorded(entry, local) ? withLocalIdentity(entry, local) : entry;
  });
}

/**
 * An older entry may hold files whose keys are gone from the listing (or left out by its filters). Those the restore brought
 * (not there before it), recorded as written and arrived as recorded, are removed, so the
 * destination holds what the prefix holds now and the next save does not carry them on. Nothing
 * is reached through a link, nothing outside the destination is touched.
 */
async function pruneRestored(
  destination: string,
  scope: { readonly bucket: string; readonly prefix: string },
  spill: ListingSpill,
  inScope: (key: string) => boolean,
  before: ReadonlySet<string>,
): Promise<void> {
  // The keys this mirror takes: a restored file of a key the filters now leave out goes too.
  const listed = (async function* () {
    for await (const key of spill.keys()) if (inScope(key)) yield key;
  })();
  let key = await listed.next();
  const reader = await ManifestReader.open(destination, scope);
  try {
    for await (const entry of reader.rest()) {
      while (!key.done && compareUtf8(key.value, entry.key) < 0) key = await listed.next();
      if ((!key.done && key.value === entry.key) || before.has(entry.path) || !entry.written) continue;
      await removeRestored(destination, entry);
    }
  } finally {
    await reader.close();
    await listed.return(undefined);
  }
}

async function removeRestored(destination: string, entry: ManifestEntry): Promise<void> {
  const local = await reachableFile(destination, entry.path);
  if (local === undefined || !stillAsRecorded(entry, local) || !sameInode(entry, local)) return;
  const target = pathInside(destination, entry.path);
  if (target !== undefined) await rm(target, { force: true });
}
