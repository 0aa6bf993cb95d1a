// The end of a mirror's pass: the previous manifest's entries the listing no longer holds are
// settled (with `delete`, after a complete pass: removed when this tool wrote them and they are as
// it left them; else carried while their file is as recorded), the new manifest is written in key
// order, files kept as not ours are counted, and the result (or the failure) is told.
import { readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../base/error-message.js';
import { quoteValue } from '../base/text.js';
import { compareUtf8 } from '../cos/list.js';
import { filesInKeyOrder, reachableFile, removeEmptiedFolders } from './local-folder.js';
import { LEGACY_MANIFEST_NAME, type ManifestEntry, sameInode, stillAsRecorded } from './manifest.js';
import { ManifestReader, ManifestWriter } from './manifest-stream.js';
import { MirrorError, type MirrorResult } from './mirror-result.js';
import type { MirrorRun } from './mirror-run.js';
import { localPath, relativeKey } from './paths.js';
import {
  manifestPath,
  mirrorFileState,
  nextManifestPath,
  removeIfEmpty,
  staleManifestPath,
} from './state.js';
import { syncDirectory } from './temp-file.js';

interface Settled {
  readonly deleted: number;
  readonly kept: MirrorResult['kept'];
  readonly manifest: string | undefined;
}

/** Ends the pass: settles what the listing no longer holds, writes the manifest, and returns or throws. */
export async function finishMirror(run: MirrorRun, elapsedMs: number): Promise<MirrorResult> {
  // The previous manifest's entries after the last listed key: their keys are gone too.
  for await (const entry of run.previous.rest()) run.passed(entry);
  if (run.archived.count > 0) {
    const shown = run.archived.items.slice(0, 5).map(quoteValue).join(', ');
    run.logger.warning(
      `${run.archived.count} ARCHIVE / DEEP_ARCHIVE object(s) not downloaded (restore them first): ${shown}${run.archived.count > 5 ? ', …' : ''}`,
    );
  }
  // A prefix that lists nothing fails here, before anything is deleted or recorded; with
  // allow-empty it succeeds, and the manifest stays as it was.
  const empty = run.listed === 0 && run.complete;
  const settled = empty ? await keepAsItWas(run) : await settle(run);
  const result = resultOf(run, elapsedMs, settled);
  if (run.listingError !== undefined) {
    throw new MirrorError(
      `Listing '${run.prefix}' failed: ${errorMessage(run.listingError)}`,
      result,
      run.listingError,
    );
  }
  if (run.deps.signal.aborted) throw run.deps.signal.reason;
  if (run.failure !== undefined) {
    const { key, error } = run.failure;
    const why = errorMessage(error);
    // Name the object when the error does not (a dropped connection says only 'other side closed').
    const named = why.includes(`'${key}'`) || key === '' ? why : `${quoteValue(key)}: ${why}`;
    throw new MirrorError(
      `${run.failures} of ${result.downloaded} download(s) failed; first: ${named}`,
      result,
      error,
    );
  }
  if (empty && !run.request.allowEmpty) {
    throw new MirrorError(
      `The prefix '${run.prefix}' lists no objects in bucket '${run.client.connection.bucket}', so nothing was ` +
        'downloaded or deleted. Fix: check the prefix (keys are case-sensitive, and the prefix is a folder), ' +
        'or allow an empty prefix with allow-empty: true (--allow-empty)',
      result,
      undefined,
    );
  }
  return result;
}

function resultOf(run: MirrorRun, elapsedMs: number, settled: Settled): MirrorResult {
  return {
    destination: run.root,
    downloaded: run.downloaded,
    skipped: run.skipped,
    deleted: settled.deleted,
    bytesDownloaded: run.bytesDownloaded,
    bytesPlanned: run.bytesPlanned,
    files: run.files.items,
    filesOmitted: run.files.count - run.files.items.length,
    largest: run.largest,
    refused: run.refused.items,
    refusedCount: run.refused.count,
    archived: run.archived.items,
    archivedCount: run.archived.count,
    kept: settled.kept,
    manifest: settled.manifest,
    listRequests: run.listRequests,
    elapsedMs,
  };
}

const NOTHING: Omit<Settled, 'manifest'> = { deleted: 0, kept: { notOurs: 0, changed: 0 } };

/** An empty listing changes nothing: the pass's files are dropped and the manifest stays. */
async function keepAsItWas(run: MirrorRun): Promise<Settled> {
  await run.writer?.abort();
  await run.stale?.abort();
  const kept = await reachableFile(path.dirname(manifestPath(run.root)), 'manifest.json');
  return { ...NOTHING, manifest: kept === undefined ? undefined : manifestPath(run.root) };
}

/** What becomes of one entry the listing no longer holds: deleted, carried (returned), or dropped. */
async function settleOne(
  run: MirrorRun,
  entry: ManifestEntry,
  deleting: boolean,
  counts: { deleted: number; changed: Set<string> },
): Promise<ManifestEntry | undefined> {
  const local = await reachableFile(run.root, entry.path);
  if (local === undefined) return undefined;
  const relative = relativeKey(entry.key, run.prefix) as string;
  if (!deleting || !run.inScope(relative, entry.key))
    return stillAsRecorded(entry, local) ? entry : undefined;
  if (!entry.written || !stillAsRecorded(entry, local) || !sameInode(entry, local)) {
    if (entry.written) counts.changed.add(entry.path);
    return undefined;
  }
  run.record({ key: entry.key, path: entry.path, size: local.size, action: 'delete' });
  counts.deleted++;
  if (!run.settings.dryRun) {
    await rm(localPath(run.root, entry.path), { force: true });
    await removeEmptiedFolders(run.root, entry.path, (folder) => run.conflicts.isMarker(folder));
  }
  return undefined;
}

async function* entriesOf(reader: ManifestReader): AsyncGenerator<ManifestEntry> {
  try {
    yield* reader.rest();
  } finally {
    await reader.close();
  }
}

/** Two streams of entries in key order, as one. */
async function* merged(
  a: AsyncIterator<ManifestEntry>,
  b: AsyncIterator<ManifestEntry>,
): AsyncGenerator<ManifestEntry> {
  let x = await a.next();
  let y = await b.next();
  while (!x.done || !y.done) {
    if (y.done || (!x.done && compareUtf8(x.value.key, y.value.key) < 0)) {
      yield x.value as ManifestEntry;
      x = await a.next();
    } else {
      yield y.value as ManifestEntry;
      y = await b.next();
    }
  }
}

/**
 * With `delete`, after a complete pass over a listing that held objects: a file this tool wrote, in
 * scope, no longer listed, and still exactly as it left it (size, mtime, inode and change time),
 * reached through no link, is removed with the folders that leaves empty. Every other such entry
 * whose file is still as recorded is carried into the new manifest (it stays ours, for a later
 * `delete`); the rest are dropped. A dry run only counts.
 */
async function settle(run: MirrorRun): Promise<Settled> {
  const deleting = run.request.delete && run.complete && run.listed > 0;
  if (run.request.delete && !run.complete) {
    run.logger.warning('Nothing was deleted: the listing or a download failed, so the mirror is incomplete');
  }
  const counts = { deleted: 0, changed: new Set<string>() };
  if (run.writer === undefined || run.stale === undefined) {
    for (const entry of run.staleInMemory) await settleOne(run, entry, deleting, counts);
    return {
      deleted: counts.deleted,
      kept: { notOurs: 0, changed: counts.changed.size },
      manifest: undefined,
    };
  }
  const scope = { bucket: run.client.connection.bucket, prefix: run.prefix };
  const durable = run.settings.fsync;
  // fsync: the folders the files were renamed into are durable before the manifest that lists them.
  if (durable) for (const folder of run.written) await syncDirectory(folder);
  // Nothing to settle: the pass's manifest is the new one, unless it says what the old one did (then
  // the writer drops it unwritten).
  const outcome = await run.writer.finish(run.staleCount === 0 ? run.previous.digest() : undefined, durable);
  await run.stale.finish();
  const target = manifestPath(run.root);
  if (run.staleCount === 0) {
    if (outcome === 'written') {
      await rename(nextManifestPath(run.root), target);
      if (durable) await syncDirectory(path.dirname(target));
    }
  } else {
    const staleEntries = entriesOf(await ManifestReader.openFile(staleManifestPath(run.root), scope));
    const carried = (async function* () {
      for await (const entry of staleEntries) {
        const kept = await settleOne(run, entry, deleting, counts);
        if (kept !== undefined) yield kept;
      }
    })();
    const next = entriesOf(await ManifestReader.openFile(nextManifestPath(run.root), scope));
    const final = await ManifestWriter.create(target, scope);
    try {
      for await (const entry of merged(next, carried)) {
        final.write(entry);
        await final.drain();
      }
      await final.finish(run.previous.digest(), durable);
    } catch (error: unknown) {
      await final.abort();
      throw error;
    }
    await rm(nextManifestPath(run.root), { force: true });
  }
  await rm(staleManifestPath(run.root), { force: true });
  if (run.previous.legacyPath !== undefined) await removeLegacy(run, run.previous.legacyPath);
  if (run.complete) await removeLeftovers(path.dirname(mirrorFileState(run.root, '').temp));
  const found = deleting ? await notOurs(run, scope, counts.changed) : { count: 0, shown: [] };
  const changed = counts.changed.size;
  if (found.count + changed > 0) {
    const shown = found.shown.join(', ');
    run.logger.info(
      `Kept ${found.count} local file(s) the prefix does not hold that cos-download did not write` +
        `${shown === '' ? '' : ` (${shown}${found.count > found.shown.length ? ', …' : ''})`}` +
        `${changed > 0 ? `, and ${changed} it wrote that changed since` : ''}: delete removes only files it wrote`,
    );
  }
  return {
    deleted: counts.deleted,
    kept: { notOurs: found.count, changed },
    manifest: target,
  };
}

/** Files in the destination the new manifest does not record: a walk and the manifest, both in key order. */
async function notOurs(
  run: MirrorRun,
  scope: { bucket: string; prefix: string },
  changed: ReadonlySet<string>,
): Promise<{ count: number; shown: string[] }> {
  const manifest = entriesOf(await ManifestReader.openFile(manifestPath(run.root), scope));
  let next = await manifest.next();
  let count = 0;
  const shown: string[] = [];
  for await (const file of filesInKeyOrder(run.root)) {
    while (!next.done && compareUtf8(next.value.path, file) < 0) next = await manifest.next();
    if ((!next.done && next.value.path === file) || changed.has(file)) continue;
    count++;
    if (shown.length < 3) shown.push(quoteValue(file));
  }
  await manifest.return(undefined);
  return { count, shown };
}

/** A migrated legacy manifest goes once the new one is written, unless a listed key is that very file. */
async function removeLegacy(run: MirrorRun, legacyPath: string): Promise<void> {
  const current = await ManifestReader.openFile(manifestPath(run.root), {
    bucket: run.client.connection.bucket,
    prefix: run.prefix,
  });
  let isKey = false;
  for await (const entry of entriesOf(current)) if (entry.path === LEGACY_MANIFEST_NAME) isKey = true;
  if (!isKey) await rm(legacyPath, { force: true });
}

/** Removes what is left in the mirror's temp folder after a complete pass (no download can resume it). */
async function removeLeftovers(folder: string): Promise<void> {
  const names = await readdir(folder).catch(() => []);
  // Whatever is there (a planted folder too); rm never follows a link.
  for (const name of names)
    await rm(path.join(folder, name), { recursive: true, force: true }).catch(() => {});
  await removeIfEmpty(folder);
}
