// Resuming a multipart download, beside the checkpoint format: reopen the temp file an earlier run
// left when its checkpoint still describes this object, keep only the parts whose bytes on disk
// still give the recorded CRC, and write the checkpoint as parts finish.
import type { Logger } from '../base/runtime.js';
import {
  type CheckpointIdentity,
  fileSize,
  mismatch,
  readCheckpoint,
  removeCheckpoint,
  writeCheckpoint,
} from './checkpoint.js';
import { formatCrc64 } from './crc64.js';
import type { Part, Window } from './plan.js';
import type { FileState } from './state.js';
import { TempFile } from './temp-file.js';

export interface ResumeState {
  readonly temp: TempFile;
  /** Finished part index → decimal CRC, each checked against the bytes on disk. */
  readonly done: Map<number, string>;
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
      logger.info(
        `Resuming '${target.key}': ${done.size} of ${parts.length} parts are already downloaded` +
          (damaged > 0
            ? `; ${damaged} more did not match their checkpoint on disk and are fetched again`
            : ''),
      );
      return { temp, done };
    }
    logger.info(`Starting '${target.key}' over: the checkpoint beside it cannot be used, as ${reason}`);
    await removeCheckpoint(state.checkpoint);
  }
  return { temp: await TempFile.create(state.temp, window.length, target.destination), done: new Map() };
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
  #chain: Promise<void> = Promise.resolve();
  #queued = false;
  #recorded: number;

  constructor(filePath: string, identity: CheckpointIdentity, resume: ResumeState, durable: boolean) {
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
        // Durable: the parts' bytes reach the disk before the checkpoint that vouches for them. Either
        // way a resume reads every kept part back and checks its CRC before trusting it.
        if (this.#durable) await this.#temp.sync();
        await writeCheckpoint(
          this.#path,
          { ...this.#identity, tempIno: this.#tempIno, parts },
          this.#durable,
        );
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
