// A prefix mirrored into a folder: the folder locked, then one pass over the listing (a merge join
// with the previous manifest, both in key order) that decides and downloads as pages arrive, then
// the end of the pass (mirror-finish.ts): `delete`, the new manifest, what was kept. Memory does not
// grow with the number of keys: results keep counters and bounded samples.
import { mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { CosClient } from '../cos/client.js';
import { acquireLock } from './lock.js';
import { ManifestReader } from './manifest-stream.js';
import { finishMirror } from './mirror-finish.js';
import type { MirrorRequest, MirrorResult, MirrorSource } from './mirror-result.js';
import { MirrorRun } from './mirror-run.js';
import { folderPrefix } from './mirror-scope.js';
import { type TransferDeps, type TransferSettings, withSignal } from './settings.js';
import { ensureOwnFolder, mirrorFileState, mirrorLockPath, removeIfEmpty, stateFolderOf } from './state.js';

export type {
  MirrorFile,
  MirrorRequest,
  MirrorResult,
  MirrorSource,
  PlanAction,
} from './mirror-result.js';
export { MirrorError, SAMPLE_LIMIT } from './mirror-result.js';

export async function mirrorPrefix(
  client: CosClient,
  request: MirrorRequest,
  settings: TransferSettings,
  deps: TransferDeps,
  source: MirrorSource = {},
): Promise<MirrorResult> {
  const started = deps.clock.now();
  if (!settings.dryRun) await mkdir(request.destination, { recursive: true });
  const root = await realpath(request.destination).catch(() => request.destination);
  const temps = path.dirname(mirrorFileState(root, '').temp);
  let lock = source.lock;
  if (!settings.dryRun && lock === undefined) {
    await ensureOwnFolder(stateFolderOf(root));
    lock = await acquireLock(mirrorLockPath(root), {
      what: `the folder '${root}'`,
      waitMs: deps.lockWaitMs,
      clock: deps.clock,
      logger: deps.logger,
      signal: deps.signal,
    });
  }
  const previous = await ManifestReader.open(root, {
    bucket: client.connection.bucket,
    prefix: folderPrefix(request.prefix),
  });
  try {
    // A run that loses its lock to another (which took it over) stops at once.
    const run = new MirrorRun(
      client,
      request,
      settings,
      lock ? withSignal(deps, lock.lost) : deps,
      root,
      previous,
    );
    await run.list(source.listing);
    return await finishMirror(run, deps.clock.now() - started);
  } finally {
    await previous.close();
    if (source.lock === undefined) {
      await lock?.release();
      if (!settings.dryRun) {
        await removeIfEmpty(temps);
        await removeIfEmpty(stateFolderOf(root));
      }
    }
  }
}
