// One object (or a byte range of it) to one file: HEAD for its identity, the destination locked,
// parts fetched by a bounded pool into a temp file in the state folder, CRC-64 combined from the
// parts, then fsync + rename. Nothing reaches the destination before the bytes are verified.
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import pLimit, { type LimitFunction } from 'p-limit';
import { asLocalFileError } from '../base/local-errors.js';
import type { ByteRange, Conditions, Overwrite, ResponseOverrides } from '../base/request.js';
import { type Clock, systemClock } from '../base/runtime.js';
import type { CosClient } from '../cos/client.js';
import { CosError } from '../cos/errors.js';
import { headObject, type ObjectAccess, type ObjectInfo } from '../cos/object.js';
import {
  type CheckpointIdentity,
  fileSize,
  identityOf,
  mismatch,
  readCheckpoint,
  removeCheckpoint,
  writeCheckpoint,
} from './checkpoint.js';
import { Crc64, crc64Combine, formatCrc64, parseCrc64 } from './crc64.js';
import { fetchPart, fetchPartBody, type PartResult } from './fetch-part.js';
import { localFileMatches } from './local-match.js';
import { acquireLock } from './lock.js';
import { formatRange, type Part, planParts, rangeWindow, type Window } from './plan.js';
import { ensureOwnFolder, type FileState, objectState, removeIfEmpty } from './state.js';
import { TempFile } from './temp-file.js';

export interface ObjectDownload {
  readonly key: string;
  readonly versionId?: string;
  readonly range?: ByteRange;
  readonly conditions: Conditions;
  readonly responseOverrides: ResponseOverrides;
  /** Absolute path of the file to write. */
  readonly destination: string;
  readonly partSize: number;
  readonly concurrency: number;
  readonly crc: boolean;
  readonly overwrite: Overwrite;
  readonly trafficLimit?: number;
  readonly sseCustomerKey?: string;
  /** Stop after deciding: HEAD only, nothing written. */
  readonly dryRun?: boolean;
  /** Where the temp file and checkpoint go; default: the single-object state beside `destination`. */
  readonly state?: FileState;
}

export interface DownloadDeps {
  readonly signal?: AbortSignal;
  /** Called with each chunk's size as bytes land in the temp file. */
  readonly onBytes?: (count: number) => void;
  /**
   * Called once the object's size is known: `length` bytes to write, of which `alreadyOnDisk` an
   * earlier run left (a resume). Those are never reported through `onBytes`, which counts only the
   * bytes this run fetches.
   */
  readonly onStart?: (info: ObjectInfo, length: number, alreadyOnDisk: number) => void;
  /** The shared request budget (a mirror passes one for all objects); default: p-limit(concurrency). */
  readonly limit?: LimitFunction;
  /**
   * The destination's folder exists and was checked, and its fsync is the caller's (a mirror makes
   * and syncs each folder once, not once per file).
   */
  readonly folderReady?: boolean;
  readonly clock?: Clock;
  /** How long to wait for another run holding the destination's lock (default 60 s). */
  readonly lockWaitMs?: number;
}

/** How long a run waits, by default, for another run writing the same destination. */
export const LOCK_WAIT_MS = 60_000;

/** How the written bytes were checked. */
export type CrcCheck = 'verified' | 'disabled' | 'no-crc-header' | 'partial-range';

export type ObjectDownloadResult =
  | { readonly status: 'not-modified'; readonly path: string }
  | {
      readonly status: 'downloaded' | 'skipped' | 'would-download';
      readonly path: string;
      readonly info: ObjectInfo;
      /** Bytes written to `path` (the range length for a range). */
      readonly length: number;
      /** Bytes fetched from COS by this run. */
      readonly bytesDownloaded: number;
      readonly crcCheck: CrcCheck;
      /** Why a file was skipped. */
      readonly reason?: string;
    };

/** The bytes do not match the object's CRC64 (or its length): nothing was left at the destination. */
export class IntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntegrityError';
  }
}

/** The object's ETag stopped matching between requests. */
export class ObjectChangedError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'ObjectChangedError';
  }
}

function accessOf(request: ObjectDownload): ObjectAccess {
  return {
    ...(request.versionId === undefined ? {} : { versionId: request.versionId }),
    ...(request.sseCustomerKey === undefined ? {} : { sseCustomerKey: request.sseCustomerKey }),
    ...(request.trafficLimit === undefined ? {} : { trafficLimit: request.trafficLimit }),
  };
}

export async function downloadObject(
  client: CosClient,
  request: ObjectDownload,
  deps: DownloadDeps = {},
): Promise<ObjectDownloadResult> {
  const head = await headWithReason(client, request, accessOf(request), deps.signal);
  if (head.kind === 'not-modified') return { status: 'not-modified', path: request.destination };
  const info = head.info;

  const window = rangeWindow(request.range, info.size);
  if (window === undefined) {
    throw new CosError(
      {
        status: 416,
        code: 'InvalidRange',
        message: `range ${formatRange(request.range as ByteRange)} is beyond the object's ${info.size} bytes`,
      },
      `GET '${request.key}'`,
    );
  }
  const whole = window.first === 0 && window.length === info.size;
  if (request.dryRun) {
    const skip = await skipReason(request, info, whole);
    if (skip !== undefined) return skipped(request.destination, info, skip);
    return {
      status: 'would-download',
      path: request.destination,
      info,
      length: window.length,
      bytesDownloaded: 0,
      crcCheck: request.crc ? (whole ? 'verified' : 'partial-range') : 'disabled',
    };
  }

  // The destination's folder, its state folder, and the lock that keeps other runs off this file.
  const state = objectState(request.destination);
  const folder = path.dirname(request.destination);
  await mkdir(folder, { recursive: true }).catch(async (error: unknown) => {
    throw await asLocalFileError(error, folder);
  });
  await ensureOwnFolder(state.folder, request.destination);
  const lock = await acquireLock(state.lock, {
    what: `'${request.destination}'`,
    waitMs: deps.lockWaitMs ?? LOCK_WAIT_MS,
    clock: deps.clock ?? systemClock,
    logger: client.logger,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  try {
    const skip = await skipReason(request, info, whole);
    if (skip !== undefined) {
      // A crash between a download's rename and its checkpoint's removal leaves the checkpoint behind.
      await removeCheckpoint(state.checkpoint);
      return skipped(request.destination, info, skip);
    }
    // A run that loses its lock to another (which took it over) stops at once.
    const signal = deps.signal === undefined ? lock.lost : AbortSignal.any([deps.signal, lock.lost]);
    return await fetchObject(client, { ...request, state }, info, window, { ...deps, signal });
  } finally {
    await lock.release();
    await removeIfEmpty(state.folder);
  }
}

/** Why the destination needs no download (it exists and `overwrite` says keep, or it matches); else undefined. */
async function skipReason(
  request: ObjectDownload,
  info: ObjectInfo,
  whole: boolean,
): Promise<string | undefined> {
  if (request.overwrite === 'always' || !whole) return undefined;
  const existing = await stat(request.destination).catch(() => undefined);
  if (!existing?.isFile()) return undefined;
  if (request.overwrite === 'never') return 'the file exists and overwrite is never';
  if (await localFileMatches(request.destination, existing.size, info))
    return 'the local file matches the object';
  return undefined;
}

/**
 * Downloads `window` of a known object version into `request.destination`. Multipart downloads keep
 * a checkpoint beside the temp file and resume from it; an object that changes mid-download
 * (412 on If-Match) is started over once.
 */
export async function fetchObject(
  client: CosClient,
  request: ObjectDownload,
  known: ObjectInfo,
  window: Window,
  deps: DownloadDeps = {},
): Promise<ObjectDownloadResult> {
  let info = known;
  for (let restart = 0; ; restart++) {
    try {
      return await fetchVersion(client, request, info, window, deps);
    } catch (error: unknown) {
      // A range or a condition was asked of the version that changed: the new one may not satisfy it.
      const pinned = request.range !== undefined || Object.keys(request.conditions).length > 0;
      if (!(error instanceof ObjectChangedError) || restart >= 1 || pinned) throw error;
      client.logger.info(
        `'${request.key}' changed during the download (its ETag no longer matches): starting over`,
      );
      const head = await headObject(client, request.key, accessOf(request), {}, deps.signal);
      if (head.kind !== 'found') throw error;
      info = head.info;
      window = { first: 0, length: info.size };
    }
  }
}

function stateOf(request: ObjectDownload): FileState {
  return request.state ?? objectState(request.destination);
}

async function fetchVersion(
  client: CosClient,
  request: ObjectDownload,
  known: ObjectInfo,
  window: Window,
  deps: DownloadDeps,
): Promise<ObjectDownloadResult> {
  let info = known;
  const whole = window.first === 0 && window.length === info.size;
  const parts = planParts(window, request.partSize);
  if (!deps.folderReady) {
    const folder = path.dirname(request.destination);
    await mkdir(folder, { recursive: true }).catch(async (error: unknown) => {
      throw await asLocalFileError(error, folder);
    });
  }
  if (parts.length === 1 && window.length <= SMALL_OBJECT_BYTES) {
    deps.onStart?.(info, window.length, 0);
    return fetchSmall(client, request, info, parts[0] as Part, deps);
  }
  const state = stateOf(request);
  // A mirror makes its state folder once; a lone object's is made here.
  if (request.state === undefined) await ensureOwnFolder(path.dirname(state.temp), request.destination);
  const resume = await openForResume(client, request, info, window, parts);
  const done = resume.done;
  const temp = resume.temp;
  const checkpoint = new Checkpointer(
    state.checkpoint,
    identityOf(client.connection.bucket, info, window, request.partSize),
    temp,
    done,
  );
  let resumedBytes = 0;
  for (const index of done.keys()) {
    const part = parts[index] as Part;
    resumedBytes += part.last - part.first + 1;
  }
  deps.onStart?.(info, window.length, resumedBytes);
  try {
    const missing = parts.filter((part) => !done.has(part.index));
    // A part's slot is released only once the checkpoint records it, so a crash loses at most the
    // parts in flight: at most concurrency × part-size bytes to fetch again.
    let stated = info.crc64;
    await fetchParts(client, request, info, temp, window.first, missing, deps, async (part, result) => {
      done.set(part.index, formatCrc64(result.crc));
      stated ??= result.objectCrc64;
      await checkpoint.flush();
    });
    if (stated === undefined && missing.length === 0 && done.size > 0 && request.crc && whole) {
      // Every part came from the checkpoint and the object is known from a listing, so no response
      // stated its CRC-64: ask for it, so a resumed file is checked like any other.
      const head = await headObject(client, request.key, accessOf(request), {}, deps.signal);
      if (head.kind === 'found' && head.info.etag !== info.etag) {
        throw new ObjectChangedError(
          `'${info.key}' changed since its parts were downloaded: ETag ${info.etag} → ${head.info.etag}`,
          undefined,
        );
      }
      if (head.kind === 'found') stated = head.info.crc64;
    }
    if (stated !== info.crc64 && stated !== undefined) info = { ...info, crc64: stated };
    const crcCheck = checkCrc(request, info, whole, parts, done);
    await temp.commit(request.destination, new Date(info.lastModified), { syncFolder: !deps.folderReady });
    await checkpoint.remove();
    return {
      status: 'downloaded',
      path: request.destination,
      info,
      length: window.length,
      bytesDownloaded: window.length - resumedBytes,
      crcCheck,
    };
  } catch (error: unknown) {
    const resumable = !(error instanceof IntegrityError) && !(error instanceof ObjectChangedError);
    // Parts are only kept when a checkpoint on disk vouches for them: else nothing could resume
    // them, and the temp file would only fill the disk.
    if (resumable) await checkpoint.flush();
    const kept = resumable ? checkpoint.recorded : 0;
    if (kept > 0) {
      await temp.close().catch(() => {});
      client.logger.info(
        `Kept ${kept} of ${parts.length} finished parts of '${request.key}' (a checkpoint records them): run again to resume`,
      );
    } else {
      await temp.discard();
      await checkpoint.remove().catch(() => {});
      if (resumable && done.size > 0) {
        client.logger.info(
          `No checkpoint of '${request.key}' could be written, so its ${done.size} finished part(s) were not kept`,
        );
      }
    }
    throw error;
  }
}

/**
 * Objects (or windows) of one part up to this size come down in one GET into memory and reach the
 * temp file in one write: no stream pipeline, no preallocation, no checkpoint. A mirror holds at
 * most 4 × concurrency of them at once, so memory stays bounded.
 */
export const SMALL_OBJECT_BYTES = 1024 * 1024;

/**
 * One small part: the GET holds a request slot only while the body arrives, then the bytes go to
 * a fresh temp file in one write while their CRC is computed, and are fsynced and renamed into place.
 */
async function fetchSmall(
  client: CosClient,
  request: ObjectDownload,
  known: ObjectInfo,
  part: Part,
  deps: DownloadDeps,
): Promise<ObjectDownloadResult> {
  let info = known;
  const job = {
    client,
    info,
    access: accessOf(request),
    overrides: request.responseOverrides,
    signal: deps.signal ?? new AbortController().signal,
  };
  const fetchBody = () => fetchPartBody(job, part);
  const body = await (deps.limit ? deps.limit(fetchBody) : fetchBody()).catch((error: unknown) => {
    throw asChange(error, info);
  });
  if (body.objectCrc64 !== undefined && info.crc64 === undefined) info = { ...info, crc64: body.objectCrc64 };
  const tempPath = stateOf(request).temp;
  if (request.state === undefined) await ensureOwnFolder(path.dirname(tempPath), request.destination);
  const temp = await TempFile.create(tempPath, 0, request.destination);
  try {
    const written = temp.writevAt(body.chunks, 0);
    // The CRC runs on this thread while the write runs on libuv's.
    const crc = new Crc64();
    for (const chunk of body.chunks) crc.update(chunk);
    await written;
    const length = part.last - part.first + 1;
    deps.onBytes?.(length);
    const crcCheck = checkCrc(
      request,
      info,
      part.first === 0 && length === info.size,
      [part],
      new Map([[0, formatCrc64(crc.digest())]]),
    );
    await temp.commit(request.destination, new Date(info.lastModified), { syncFolder: !deps.folderReady });
    return {
      status: 'downloaded',
      path: request.destination,
      info,
      length,
      bytesDownloaded: length,
      crcCheck,
    };
  } catch (error: unknown) {
    await temp.discard();
    throw error;
  }
}

interface ResumeState {
  readonly temp: TempFile;
  /** Finished part index → decimal CRC, each checked against the bytes on disk. */
  readonly done: Map<number, string>;
}

/**
 * Reopens the temp file of an earlier run when its checkpoint matches, keeping only the parts
 * whose bytes on disk still give the CRC the checkpoint recorded; else starts a fresh temp file.
 */
async function openForResume(
  client: CosClient,
  request: ObjectDownload,
  info: ObjectInfo,
  window: Window,
  parts: readonly Part[],
): Promise<ResumeState> {
  const { temp: tempPath, checkpoint: checkpointPath } = stateOf(request);
  const saved = await readCheckpoint(checkpointPath);
  if (saved !== undefined) {
    const tempSize = await fileSize(tempPath);
    let reason =
      saved === 'corrupt'
        ? 'it is unreadable'
        : (mismatch(saved, identityOf(client.connection.bucket, info, window, request.partSize)) ??
          (tempSize === undefined
            ? 'the temp file is gone'
            : tempSize !== window.length
              ? `the temp file is ${tempSize < window.length ? 'shorter' : 'longer'} (${tempSize} of ${window.length} bytes)`
              : undefined));
    let temp: TempFile | undefined;
    if (reason === undefined && saved !== 'corrupt') {
      // A temp file that is a link, or has a second name elsewhere, is never written to; one that is
      // not the file this checkpoint was written for (both planted together) is never trusted.
      temp = await TempFile.reopen(tempPath, request.destination).catch(() => undefined);
      if (temp === undefined) reason = 'the temp file is not a plain file of its own';
      else if (temp.ino !== saved.tempIno) {
        await temp.close();
        temp = undefined;
        reason = 'the temp file is not the one it was written for';
      }
    }
    if (temp !== undefined && saved !== 'corrupt') {
      const done = new Map<number, string>();
      let damaged = 0;
      for (const [index, crc] of saved.parts) {
        const part = parts[index] as Part;
        const actual = await temp.crcAt(part.first - window.first, part.last - part.first + 1);
        if (actual !== undefined && formatCrc64(actual) === crc) done.set(index, crc);
        else damaged++;
      }
      client.logger.info(
        `Resuming '${request.key}': ${done.size} of ${parts.length} parts are already downloaded` +
          (damaged > 0
            ? `; ${damaged} more did not match their checkpoint on disk and are fetched again`
            : ''),
      );
      return { temp, done };
    }
    client.logger.info(
      `Starting '${request.key}' over: the checkpoint beside it cannot be used, as ${reason}`,
    );
    await removeCheckpoint(checkpointPath);
  }
  return { temp: await TempFile.create(tempPath, window.length, request.destination), done: new Map() };
}

/**
 * Writes the checkpoint after the bytes it vouches for are flushed: snapshot the finished parts,
 * fsync the temp file, then write. At most one write runs and one waits. `recorded` is how many
 * parts the checkpoint on disk vouches for: what a re-run can resume.
 */
class Checkpointer {
  readonly #path: string;
  readonly #identity: CheckpointIdentity;
  readonly #temp: TempFile;
  readonly #done: ReadonlyMap<number, string>;
  #chain: Promise<void> = Promise.resolve();
  #queued = false;
  #recorded: number;

  constructor(
    filePath: string,
    identity: CheckpointIdentity,
    temp: TempFile,
    done: ReadonlyMap<number, string>,
  ) {
    this.#path = filePath;
    this.#identity = identity;
    this.#temp = temp;
    this.#done = done;
    // A resumed download starts from a checkpoint on disk that vouches for (at least) these parts.
    this.#recorded = done.size;
  }

  get recorded(): number {
    return this.#recorded;
  }

  schedule(): void {
    if (this.#queued) return;
    this.#queued = true;
    this.#chain = this.#chain
      .then(async () => {
        this.#queued = false;
        const parts = new Map(this.#done);
        await this.#temp.sync();
        await writeCheckpoint(this.#path, { ...this.#identity, tempIno: this.#temp.ino, parts });
        this.#recorded = parts.size;
      })
      .catch(() => {
        // A failed checkpoint write costs only a resume; the download itself goes on.
      });
  }

  async flush(): Promise<void> {
    this.schedule();
    await this.#chain;
  }

  async remove(): Promise<void> {
    await this.#chain;
    await removeCheckpoint(this.#path);
  }
}

function skipped(destination: string, info: ObjectInfo, reason: string): ObjectDownloadResult {
  return {
    status: 'skipped',
    path: destination,
    info,
    length: info.size,
    bytesDownloaded: 0,
    crcCheck: 'verified',
    reason,
  };
}

/** HEAD with the user's conditions; a 412 is explained by naming the condition that failed. */
async function headWithReason(
  client: CosClient,
  request: ObjectDownload,
  access: ObjectAccess,
  signal: AbortSignal | undefined,
) {
  try {
    return await headObject(client, request.key, access, request.conditions, signal);
  } catch (error: unknown) {
    if (error instanceof CosError && error.status === 404 && request.versionId !== undefined) {
      throw error.rephrase(
        `version '${request.versionId}' of '${request.key}' does not exist (or is a delete marker). ` +
          "Check the version-id input against the object's versions.",
        `GET '${request.key}'`,
      );
    }
    if (!(error instanceof CosError) || error.status !== 412) throw error;
    const actual = await headObject(client, request.key, access, {}, signal).catch(() => undefined);
    const { ifMatch, ifUnmodifiedSince } = request.conditions;
    const now = actual?.kind === 'found' ? actual.info : undefined;
    const reasons: string[] = [];
    if (ifMatch !== undefined)
      reasons.push(`if-match ${ifMatch} (the object's ETag is ${now?.etag ?? 'unknown'})`);
    if (ifUnmodifiedSince !== undefined) {
      reasons.push(
        `if-unmodified-since ${ifUnmodifiedSince.toUTCString()} (the object was modified ${now?.lastModified ?? 'later'})`,
      );
    }
    throw error.rephrase(
      `precondition failed: ${reasons.join('; ') || 'a condition'} does not hold`,
      `GET '${request.key}'`,
    );
  }
}

/** Fetches parts through a bounded pool; the first hard failure aborts the rest. */
async function fetchParts(
  client: CosClient,
  request: ObjectDownload,
  info: ObjectInfo,
  temp: TempFile,
  base: number,
  parts: readonly Part[],
  deps: DownloadDeps,
  onPart: (part: Part, result: PartResult) => Promise<void>,
): Promise<void> {
  const controller = new AbortController();
  const outer = deps.signal;
  const onAbort = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) onAbort();
  outer?.addEventListener('abort', onAbort, { once: true });
  const limit = deps.limit ?? pLimit(request.concurrency);
  const job = {
    client,
    info,
    access: accessOf(request),
    overrides: request.responseOverrides,
    writer: temp,
    base,
    signal: controller.signal,
    ...(deps.onBytes ? { onBytes: deps.onBytes } : {}),
  };
  let firstError: unknown;
  const settled = await Promise.allSettled(
    parts.map((part) =>
      limit(async () => {
        try {
          controller.signal.throwIfAborted();
          await onPart(part, await fetchPart(job, part));
        } catch (error: unknown) {
          if (firstError === undefined) {
            firstError = asChange(error, info);
            controller.abort(firstError);
          }
          throw error;
        }
      }),
    ),
  );
  outer?.removeEventListener('abort', onAbort);
  if (firstError !== undefined) throw firstError;
  // Belt and braces: no part may be missing when this returns.
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/** A 412 on a part's If-Match means the object changed under us. */
function asChange(error: unknown, info: ObjectInfo): unknown {
  if (error instanceof CosError && error.status === 412) {
    return new ObjectChangedError(
      `'${info.key}' changed during the download: ETag ${info.etag} no longer matches (412)`,
      error,
    );
  }
  return error;
}

function checkCrc(
  request: ObjectDownload,
  info: ObjectInfo,
  whole: boolean,
  parts: readonly Part[],
  done: ReadonlyMap<number, string>,
): CrcCheck {
  if (!request.crc) return 'disabled';
  if (!whole) return 'partial-range';
  const expected = info.crc64 === undefined ? undefined : parseCrc64(info.crc64);
  if (expected === undefined) return 'no-crc-header';
  let actual = 0n;
  for (const part of parts) {
    const crc = parseCrc64(done.get(part.index) ?? '');
    if (crc === undefined)
      throw new IntegrityError(`part ${part.index} of '${info.key}' has no CRC64 recorded`);
    actual = crc64Combine(actual, crc, part.last - part.first + 1);
  }
  if (actual !== expected) {
    throw new IntegrityError(
      `CRC64 mismatch for '${info.key}': COS says ${info.crc64}, the downloaded bytes give ${formatCrc64(actual)}; ` +
        'nothing was written to the destination. Run again; if it persists, the object or a proxy is corrupting data.',
    );
  }
  return 'verified';
}
