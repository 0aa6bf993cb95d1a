// Resuming a multipart download, beside the checkpoint format: reopen the temp file an earlier run
// left when its checkpoint still describes this object, keep only the parts (and the first bytes of
// unfinished parts) whose bytes on disk still give the recorded CRC, and write the checkpoint as
// parts finish and when the run stops.
import type { Logger } from '../base/runtime.js';
import {
  type CheckpointIdentity,
  fileSize,
  mismatch,
  type PartialPart,
  readCheckpoint,
  removeCheckpoint,
  UNCHECKED,
  writeCheckpoint,
} from './checkpoint.js';
import type { KnownStretch, StreamCrc } from './crc64/offload.js';
import { crc64Combine, formatCrc64, parseCrc64 } from './crc64.js';
import { IntegrityError, ObjectChangedError } from './object-result.js';
import type { Part, Window } from './plan.js';
import type { FileState } from './state.js';
import { TempFile } from './temp-file.js';

export interface ResumeState {
  readonly temp: TempFile;
  /** Finished part index → decimal CRC, each checked against the bytes on disk. */
  readonly done: Map<number, string>;
  /** Unfinished part index → its first bytes already in the temp file (checked), to fetch on from. */
  readonly started: Map<number, PartStart>;
}

/** A part's first `bytes` on disk and their CRC-64 (undefined with the CRC off). */
export interface PartStart {
  readonly bytes: number;
  readonly crc: bigint | undefined;
}

/** A part being fetched: how many of its first bytes are written, and their CRC as far as it is known. */
export interface PartProgress {
  bytes: number;
  readonly crc: StreamCrc | undefined;
  /** The CRC of bytes before this run's (a part resumed from its first bytes), else undefined. */
  readonly before: PartStart | undefined;
}

/** What a resume is checked against: the object version, the window, and where its files are. */
export interface ResumeTarget {
  readonly key: string;
  readonly identity: CheckpointIdentity;
  readonly window: Window;
  readonly parts: readonly Part[];
  readonly state: FileState;
  /** The file being downloaded, for messages. */
  readonly destination: string;
  /** false (`crc: false`): kept parts are not read back and checked. */
  readonly verify: boolean;
}

/** Why a saved checkpoint (and its temp file) cannot be resumed; undefined when it can. */
async function unusable(
  saved: Awaited<ReturnType<typeof readCheckpoint>>,
  target: ResumeTarget,
): Promise<string | undefined> {
  if (saved === 'corrupt') return 'it is unreadable';
  if (saved === undefined) return undefined;
  const tempSize = await fileSize(target.state.temp);
  const length = target.window.length;
  return (
    mismatch(saved, target.identity) ??
    (tempSize === undefined
      ? 'the temp file is gone'
      : tempSize !== length
        ? `the temp file is ${tempSize < length ? 'shorter' : 'longer'} (${tempSize} of ${length} bytes)`
        : undefined)
  );
}

/**
 * Reopens the temp file of an earlier run when its checkpoint matches, keeping only the parts whose
 * bytes on disk still give the CRC the checkpoint recorded; else starts a fresh temp file.
 */
export async function openForResume(target: ResumeTarget, logger: Logger): Promise<ResumeState> {
  const { state, parts, window } = target;
  const saved = await readCheckpoint(state.checkpoint);
  if (saved !== undefined) {
    let reason = await unusable(saved, target);
    let temp: TempFile | undefined;
    if (reason === undefined && saved !== 'corrupt') {
      // A temp file that is a link, or has a second name elsewhere, is never written to; one that is
      // not the file this checkpoint was written for (both planted together) is never trusted.
      temp = await TempFile.reopen(state.temp, target.destination).catch(() => undefined);
      if (temp === undefined) reason = 'the temp file is not a plain file of its own';
      else if (temp.ino !== saved.tempIno) {
        await temp.close();
        temp = undefined;
        reason = 'the temp file is not the one it was written for';
      }
    }
    if (temp !== undefined && saved !== 'corrupt') {
      const done = new Map<number, string>();
      const started = new Map<number, PartStart>();
      let damaged = 0;
      for (const [index, crc] of saved.parts) {
        const part = parts[index] as Part;
        // With the CRC off, no byte is checked: not in flight, not on resume (a part recorded
        // without a CRC is fetched again once the CRC is back on: it cannot be checked).
        if (!target.verify) {
          done.set(index, crc);
          continue;
        }
        const actual = await temp.crcAt(part.first - window.first, part.last - part.first + 1);
        if (actual !== undefined && formatCrc64(actual) === crc) done.set(index, crc);
        else damaged++;
      }
      let startedBytes = 0;
      for (const [index, { bytes, crc }] of saved.partial) {
        const part = parts[index] as Part;
        const kept = await keptStart(temp, part.first - window.first, bytes, crc, target.verify);
        if (kept === 'damaged') damaged++;
        else if (kept !== undefined) {
          started.set(index, kept);
          startedBytes += bytes;
        }
      }
      logger.info(
        `Resuming '${target.key}': ${done.size} of ${parts.length} parts are already downloaded` +
          (started.size > 0 ? `, and the first ${startedBytes} bytes of ${started.size} more` : '') +
          (damaged > 0
            ? `; ${damaged} more did not match their checkpoint on disk and are fetched again`
            : ''),
      );
      return { temp, done, started };
    }
    logger.info(`Starting '${target.key}' over: the checkpoint beside it cannot be used, as ${reason}`);
    await removeCheckpoint(state.checkpoint);
  }
  return {
    temp: await TempFile.create(state.temp, window.length, target.destination),
    done: new Map(),
    started: new Map(),
  };
}

/**
 * A part's first bytes as the checkpoint records them, checked on disk: kept (with their CRC),
 * `'damaged'` when they no longer give it, undefined when they cannot be checked (recorded without
 * a CRC, and the CRC is on now: fetched again whole).
 */
async function keptStart(
  temp: TempFile,
  position: number,
  bytes: number,
  crc: string,
  verify: boolean,
): Promise<PartStart | 'damaged' | undefined> {
  if (!verify) return { bytes, crc: undefined };
  const expected = crc === UNCHECKED ? undefined : parseCrc64(crc);
  if (expected === undefined) return undefined;
  const actual = await temp.crcAt(position, bytes);
  return actual === expected ? { bytes, crc: expected } : 'damaged';
}

/** What a checkpoint records of a part in flight: its first bytes and their CRC, when there are any. */
function partialOf(progress: PartProgress, known: KnownStretch | undefined): PartialPart | undefined {
  const before = progress.before;
  if (progress.crc === undefined) {
    const bytes = (before?.bytes ?? 0) + progress.bytes;
    return bytes === 0 ? undefined : { bytes, crc: UNCHECKED };
  }
  // Only the first stretch whose CRC is known: bytes written past it are fetched again on resume.
  if (known === undefined) return undefined;
  const bytes = (before?.bytes ?? 0) + known.bytes;
  if (bytes === 0) return undefined;
  if (before === undefined) return { bytes, crc: formatCrc64(known.crc) };
  if (before.crc === undefined) return undefined;
  return { bytes, crc: formatCrc64(crc64Combine(before.crc, known.crc, known.bytes)) };
}

/**
 * Writes the checkpoint after the bytes it vouches for are flushed: snapshot the finished parts,
 * fsync the temp file, then write. At most one write runs and one waits. `recorded` is how many
 * parts the checkpoint on disk vouches for: what a re-run can resume.
 */
export class Checkpointer {
  readonly #path: string;
  readonly #durable: boolean;
  readonly #identity: CheckpointIdentity;
  readonly #temp: TempFile;
  readonly #tempIno: number;
  readonly #done: ReadonlyMap<number, string>;
  readonly #inFlight: ReadonlyMap<number, PartProgress>;
  #chain: Promise<void> = Promise.resolve();
  #queued = false;
  #exact = false;
  #recorded: number;
  #recordedStartBytes = 0;

  /** `inFlight`: the parts being fetched, whose first bytes a checkpoint records too. */
  constructor(
    filePath: string,
    identity: CheckpointIdentity,
    resume: ResumeState,
    inFlight: ReadonlyMap<number, PartProgress>,
    durable: boolean,
  ) {
    this.#inFlight = inFlight;
    this.#path = filePath;
    this.#durable = durable;
    this.#identity = identity;
    this.#temp = resume.temp;
    if (resume.temp.ino === undefined)
      throw new Error('a checkpoint is bound to its temp file, whose inode is unknown');
    this.#tempIno = resume.temp.ino;
    this.#done = resume.done;
    // A resumed download starts from a checkpoint on disk that vouches for (at least) these parts.
    this.#recorded = resume.done.size;
    for (const start of resume.started.values()) this.#recordedStartBytes += start.bytes;
  }

  /** Finished parts the checkpoint on disk vouches for. */
  get recorded(): number {
    return this.#recorded;
  }

  /** Bytes of unfinished parts the checkpoint on disk vouches for. */
  get recordedStartBytes(): number {
    return this.#recordedStartBytes;
  }

  /**
   * Writes a checkpoint soon (coalesced). `exact` (the last one, after a failure or an interrupt)
   * waits for the CRCs of the bytes written so far, so it vouches for all of them; otherwise a part
   * in flight counts as far as its CRC is already known.
   */
  schedule(exact = false): void {
    if (exact) this.#exact = true;
    if (this.#queued) return;
    this.#queued = true;
    this.#chain = this.#chain
      .then(async () => {
        this.#queued = false;
        const exact = this.#exact;
        this.#exact = false;
        // Exact: every byte written, once the CRC worker has answered; else as far as is known now.
        const known = new Map<number, KnownStretch | undefined>();
        for (const [index, progress] of this.#inFlight) {
          known.set(index, exact ? await progress.crc?.complete() : progress.crc?.known());
        }
        const parts = new Map(this.#done);
        // The parts in flight, as far as their bytes are written (synchronously, so this snapshot
        // never runs ahead of the file).
        const partial = new Map<number, PartialPart>();
        let startBytes = 0;
        for (const [index, progress] of this.#inFlight) {
          const recorded = parts.has(index) ? undefined : partialOf(progress, known.get(index));
          if (recorded === undefined) continue;
          partial.set(index, recorded);
          startBytes += recorded.bytes;
        }
        // Durable: the parts' bytes reach the disk before the checkpoint that vouches for them. Either
        // way a resume reads every kept part back and checks its CRC before trusting it.
        if (this.#durable) await this.#temp.sync();
        await writeCheckpoint(
          this.#path,
          { ...this.#identity, tempIno: this.#tempIno, parts, partial },
          this.#durable,
        );
        this.#recorded = parts.size;
        this.#recordedStartBytes = startBytes;
      })
      .catch(() => {
        // A failed checkpoint write costs only a resume; the download itself goes on.
      });
  }

  /** Writes a checkpoint now (`exact`: as for `schedule`) and waits for it. */
  async flush(exact = false): Promise<void> {
    this.schedule(exact);
    await this.#chain;
  }

  async remove(): Promise<void> {
    await this.#chain;
    await removeCheckpoint(this.#path);
  }
}

/** Bytes as a message tells them: MiB with one decimal. */
const formatMiB = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

/**
 * After a failure or an interrupt: the parts (and part starts) stay for a resume only when a
 * checkpoint on disk records them, and the log says how much; a failure that proves the bytes
 * wrong or the object changed leaves nothing, since nothing could resume it.
 */
export async function keepOrDiscard(
  error: unknown,
  object: { readonly key: string; readonly parts: readonly Part[]; readonly length: number },
  resume: ResumeState,
  checkpoint: Checkpointer,
  logger: Logger,
): Promise<void> {
  const { key, parts } = object;
  const resumable = !(error instanceof IntegrityError) && !(error instanceof ObjectChangedError);
  // Else nothing could resume them, and the temp file would only fill the disk.
  if (resumable) await checkpoint.flush(true);
  const kept = resumable ? checkpoint.recorded : 0;
  const startBytes = resumable ? checkpoint.recordedStartBytes : 0;
  if (kept > 0 || startBytes > 0) {
    await resume.temp.close().catch(() => {});
    let keptBytes = startBytes;
    for (const part of parts) if (resume.done.has(part.index)) keptBytes += part.last - part.first + 1;
    logger.info(
      `Kept ${kept} of ${parts.length} finished parts of '${key}'` +
        (startBytes > 0 ? `, and ${formatMiB(startBytes)} of the parts in flight` : '') +
        ` (${formatMiB(keptBytes)} of ${formatMiB(object.length)}; a checkpoint records them): run again to resume`,
    );
    return;
  }
  await resume.temp.discard();
  await checkpoint.remove().catch(() => {});
  if (resumable && resume.done.size > 0) {
    logger.info(
      `No checkpoint of '${key}' could be written, so its ${resume.done.size} finished part(s) were not kept`,
    );
  }
}
