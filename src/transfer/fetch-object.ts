// One known object version (or a window of it) into one file: parts fetched by a bounded pool into
// a temp file in the state folder, CRC-64 combined from the parts, then fsync + rename. Nothing
// reaches the destination before the bytes are verified. An object that changes mid-download (412
// on If-Match) is started over once, unless a range or a condition pinned it. The bytes come from
// an ObjectSource: a COS client, or a link whose first part's answer may be handed in already open.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { LimitFunction } from 'p-limit';
import { asLocalFileError } from '../base/local-errors.js';
import type { ResponseOverrides } from '../base/request.js';
import type { CosResponse } from '../cos/client.js';
import { CosError } from '../cos/errors.js';
import { headObject, type ObjectAccess, type ObjectInfo } from '../cos/object.js';
import { identityOf, UNCHECKED } from './checkpoint.js';
import { Crc64, crc64Combine, formatCrc64, parseCrc64 } from './crc64.js';
import { fetchPart, fetchPartBody, type PartBase, type PartResult } from './fetch-part.js';
import { type CrcCheck, IntegrityError, type ObjectAtPath, ObjectChangedError } from './object-result.js';
import { type Part, planParts, type Window } from './plan.js';
import { TaskPool } from './pool.js';
import { Checkpointer, keepOrDiscard, openForResume, type PartProgress, type PartStart } from './resume.js';
import type { TransferDeps, TransferSettings } from './settings.js';
import { letGo, type ObjectSource } from './source.js';
import { ensureOwnFolder, type FileState } from './state.js';
import { TempFile } from './temp-file.js';

/** What every object of a run is fetched with. */
export interface FetchContext {
  readonly client: ObjectSource;
  readonly settings: TransferSettings;
  readonly deps: TransferDeps;
  /** The request budget (a mirror shares one across its objects). */
  readonly limit: LimitFunction;
  /** A mirror's budget for large objects' parts, taken before `limit` (default: `limit` alone). */
  readonly partLimit?: LimitFunction | undefined;
  /**
   * The destination's folder and the state's folder exist, and the folder's fsync is the caller's
   * (a mirror makes and syncs each folder once, not once per file).
   */
  readonly folderReady: boolean;
}

/** One object to fetch into one file. */
export interface FetchRequest {
  readonly key: string;
  readonly versionId?: string | undefined;
  readonly responseOverrides: ResponseOverrides;
  /** A range or a condition chose this version: if it changes, the download fails rather than starting over. */
  readonly pinned: boolean;
  /** Absolute path of the file to write. */
  readonly destination: string;
  /** Where its temp file and checkpoint go. */
  readonly state: FileState;
}

/**
 * Objects (or windows) of one part up to this size come down in one GET into memory and reach the
 * temp file in one write: no stream pipeline, no preallocation, no checkpoint. A mirror holds at
 * most 4 × concurrency of them at once, so memory stays bounded.
 */
const SMALL_OBJECT_BYTES = 1024 * 1024;

/**
 * Downloads `window` of the object version `known` into `request.destination`. `opened` is the
 * answer to a GET of the window's first part, already sent (a link's first request): it becomes
 * that part's bytes, or is destroyed.
 */
export async function fetchObject(
  context: FetchContext,
  request: FetchRequest,
  known: ObjectInfo,
  window: Window,
  opened?: CosResponse,
): Promise<ObjectAtPath> {
  let job = new ObjectJob(context, request, known, window, opened);
  for (let restart = 0; ; restart++) {
    try {
      return await job.run();
    } catch (error: unknown) {
      // A range or a condition was asked of the version that changed: the new one may not satisfy it.
      if (!(error instanceof ObjectChangedError) || restart >= 1 || request.pinned) throw error;
      context.deps.logger.info(
        `'${request.key}' changed during the download (its ETag no longer matches): starting over`,
      );
      const head = await headObject(context.client, request.key, job.access, {}, context.deps.signal);
      if (head.kind !== 'found') throw error;
      job = new ObjectJob(context, request, head.info, { first: 0, length: head.info.size });
    }
  }
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

/** One attempt at one object version: its plan, its temp file, its parts, its check and its rename. */
class ObjectJob {
  readonly #context: FetchContext;
  readonly #request: FetchRequest;
  readonly #window: Window;
  readonly #parts: readonly Part[];
  readonly access: ObjectAccess;
  #info: ObjectInfo;
  /** The first part's answer, already open, until a fetch of that part takes it. */
  #opened: CosResponse | undefined;

  constructor(
    context: FetchContext,
    request: FetchRequest,
    info: ObjectInfo,
    window: Window,
    opened?: CosResponse,
  ) {
    this.#context = context;
    this.#opened = opened;
    this.#request = request;
    this.#info = info;
    this.#window = window;
    this.#parts = planParts(window, context.settings.partSize);
    const { settings } = context;
    this.access = {
      versionId: request.versionId,
      sseCustomerKey: settings.sseCustomerKey,
      trafficLimit: settings.trafficLimit,
    };
  }

  get #whole(): boolean {
    return this.#window.first === 0 && this.#window.length === this.#info.size;
  }

  /** What every GET of a part of this object needs. */
  #partBase(signal: AbortSignal): PartBase {
    const { client } = this.#context;
    return {
      client,
      info: this.#info,
      access: this.access,
      overrides: this.#request.responseOverrides,
      signal,
      crc: this.#context.settings.crc,
    };
  }

  /** The already-open answer, for the part it answers (the window's first); once. */
  #take(part: Part): CosResponse | undefined {
    if (part.first !== this.#window.first) return undefined;
    const opened = this.#opened;
    this.#opened = undefined;
    return opened;
  }

  async run(): Promise<ObjectAtPath> {
    try {
      return await this.#run();
    } finally {
      // Not taken (the part was resumed from a checkpoint, or the run failed first): let it go.
      if (this.#opened !== undefined) letGo(this.#opened);
      this.#opened = undefined;
    }
  }

  async #run(): Promise<ObjectAtPath> {
    if (!this.#context.folderReady) {
      const folder = path.dirname(this.#request.destination);
      await mkdir(folder, { recursive: true }).catch(async (error: unknown) => {
        throw await asLocalFileError(error, folder);
      });
      await ensureOwnFolder(path.dirname(this.#request.state.temp), this.#request.destination);
    }
    const only = this.#parts[0];
    if (this.#parts.length === 1 && only !== undefined && this.#window.length <= SMALL_OBJECT_BYTES) {
      this.#context.deps.progress.onStart?.(this.#info, this.#window.length, 0);
      return this.#small(only);
    }
    return this.#multipart();
  }

  #result(length: number, bytesDownloaded: number, crcCheck: CrcCheck): ObjectAtPath {
    return {
      status: 'downloaded',
      path: this.#request.destination,
      info: this.#info,
      length,
      bytesDownloaded,
      crcCheck,
    };
  }

  async #commit(temp: TempFile): Promise<void> {
    const mtime = new Date(this.#info.lastModified);
    await temp.commit(this.#request.destination, mtime, {
      durable: this.#context.settings.fsync,
      syncFolder: !this.#context.folderReady,
    });
  }

  /**
   * One small part: the GET holds a request slot only while the body arrives, then the bytes go to a
   * fresh temp file in one write while their CRC is computed, and are renamed into place.
   */
  async #small(part: Part): Promise<ObjectAtPath> {
    const { limit, deps } = this.#context;
    const opened = this.#take(part);
    const body = await limit(() => fetchPartBody(this.#partBase(deps.signal), part, opened)).catch(
      (error: unknown) => {
        throw asChange(error, this.#info);
      },
    );
    if (body.objectCrc64 !== undefined && this.#info.crc64 === undefined) {
      this.#info = { ...this.#info, crc64: body.objectCrc64 };
    }
    const temp = await TempFile.create(this.#request.state.temp, 0, this.#request.destination, {
      checkpointed: false,
    });
    try {
      const written = temp.writeAt(body.bytes, 0);
      // The CRC runs on this thread while the write runs on libuv's.
      let crc = UNCHECKED;
      if (this.#context.settings.crc) crc = formatCrc64(new Crc64().update(body.bytes).digest());
      await written;
      const length = part.last - part.first + 1;
      deps.progress.onBytes?.(length);
      const crcCheck = this.#checkCrc(new Map([[0, crc]]), [part]);
      await this.#commit(temp);
      return this.#result(length, length, crcCheck);
    } catch (error: unknown) {
      await temp.discard();
      throw error;
    }
  }

  async #multipart(): Promise<ObjectAtPath> {
    const { client, deps } = this.#context;
    const parts = this.#parts;
    const identity = identityOf(
      client.connection.bucket,
      this.#info,
      this.#window,
      this.#context.settings.partSize,
    );
    const resume = await openForResume(
      {
        key: this.#request.key,
        identity,
        window: this.#window,
        parts,
        state: this.#request.state,
        destination: this.#request.destination,
        verify: this.#context.settings.crc,
      },
      deps.logger,
    );
    const { temp, done, started } = resume;
    // The first part is (partly) on disk already: its open answer, from byte 0, is not needed.
    const unneeded = done.has(0) || started.has(0) ? this.#take(parts[0] as Part) : undefined;
    if (unneeded !== undefined) letGo(unneeded);
    const inFlight = new Map<number, PartProgress>();
    const checkpoint = new Checkpointer(
      this.#request.state.checkpoint,
      identity,
      resume,
      inFlight,
      this.#context.settings.fsync,
    );
    let resumedBytes = 0;
    for (const index of done.keys()) {
      const part = parts[index] as Part;
      resumedBytes += part.last - part.first + 1;
    }
    for (const start of started.values()) resumedBytes += start.bytes;
    deps.progress.onStart?.(this.#info, this.#window.length, resumedBytes);
    try {
      const missing = parts.filter((part) => !done.has(part.index));
      // A part's slot is released only once the checkpoint records it, so a crash loses at most the
      // parts in flight: at most concurrency × part-size bytes to fetch again.
      let stated = this.#info.crc64;
      await this.#fetchParts(temp, missing, { inFlight, started }, async (part, result) => {
        done.set(part.index, result.crc === undefined ? UNCHECKED : formatCrc64(result.crc));
        inFlight.delete(part.index);
        stated ??= result.objectCrc64;
        await checkpoint.flush();
      });
      if (
        stated === undefined &&
        this.#context.client.fixedUrl !== true &&
        missing.length === 0 &&
        done.size > 0 &&
        this.#context.settings.crc &&
        this.#whole
      ) {
        stated = await this.#statedCrc64();
      }
      if (stated !== undefined && stated !== this.#info.crc64) this.#info = { ...this.#info, crc64: stated };
      const crcCheck = this.#checkCrc(done, parts);
      await this.#commit(temp);
      await checkpoint.remove();
      return this.#result(this.#window.length, this.#window.length - resumedBytes, crcCheck);
    } catch (error: unknown) {
      await keepOrDiscard(
        error,
        { key: this.#request.key, parts, length: this.#window.length },
        resume,
        checkpoint,
        deps.logger,
      );
      throw error;
    }
  }

  /**
   * Every part came from the checkpoint and the object is known from a listing, so no response
   * stated its CRC-64: ask for it with a HEAD, so a resumed file is checked like any other. (A link
   * learns its identity from a GET in this very run, which states the CRC if the server has one.)
   */
  async #statedCrc64(): Promise<string | undefined> {
    const { client, deps } = this.#context;
    const head = await headObject(client, this.#request.key, this.access, {}, deps.signal);
    if (head.kind !== 'found') return undefined;
    if (head.info.etag !== this.#info.etag) {
      throw new ObjectChangedError(
        `'${this.#info.key}' changed since its parts were downloaded: ETag ${this.#info.etag} → ${head.info.etag}`,
        undefined,
      );
    }
    return head.info.crc64;
  }

  /** Fetches parts through the request budget; the first hard failure aborts the rest. */
  async #fetchParts(
    temp: TempFile,
    parts: readonly Part[],
    progress: {
      readonly inFlight: Map<number, PartProgress>;
      readonly started: ReadonlyMap<number, PartStart>;
    },
    onPart: (part: Part, result: PartResult) => Promise<void>,
  ): Promise<void> {
    const { deps, limit, partLimit } = this.#context;
    const gate = <T>(run: () => Promise<T>): Promise<T> => (partLimit === undefined ? run() : partLimit(run));
    const pool = new TaskPool({ signal: deps.signal, failFast: true });
    for (const part of parts) {
      await pool.add(async (signal) => {
        await gate(() =>
          limit(async () => {
            signal.throwIfAborted();
            const job = {
              ...this.#partBase(signal),
              writer: temp,
              base: this.#window.first,
              onBytes: deps.progress.onBytes,
              inFlight: progress.inFlight,
              start: progress.started.get(part.index),
            };
            await onPart(part, await fetchPart(job, part, this.#take(part)));
          }),
        ).catch((error: unknown) => {
          throw asChange(error, this.#info);
        });
      });
    }
    await pool.drain();
  }

  #checkCrc(done: ReadonlyMap<number, string>, parts: readonly Part[]): CrcCheck {
    const info = this.#info;
    if (!this.#context.settings.crc) return 'disabled';
    if (!this.#whole) return 'partial-range';
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
        `CRC64 mismatch for '${info.key}': ${this.#context.client.fixedUrl === true ? 'the server' : 'COS'} says ${info.crc64}, the downloaded bytes give ${formatCrc64(actual)}; ` +
          'nothing was written to the destination. Run again; if it persists, the object or a proxy is corrupting data.',
      );
    }
    return 'verified';
  }
}
