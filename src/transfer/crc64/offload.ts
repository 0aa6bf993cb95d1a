// The CRC of a large part's bytes on a second core. The receive path writes each read and hands it
// here; bytes are copied into 1 MiB segments, and a full segment goes (transferred, not copied) to
// one worker thread that runs the same kernel and sends its CRC back; the stream's CRC is the
// segments' CRCs combined in order. A segment sealed while the worker is busy (too many segments
// out) or gone is hashed here instead, with the same result; with one core, or for a part shorter
// than a segment, everything is hashed here. A segment the worker took and never answered (it
// failed) fails the stream's digest; the caller then hashes the bytes from disk. See
// docs/adr/0002-crc64.md.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Crc64, crc64, crc64Combine } from '../crc64.js';
import { kernelParts } from './wasm-kernel.js';

/** Bytes a segment holds before it is hashed. */
export const SEGMENT_BYTES = 1024 * 1024;
/** Segments out at the worker at once, every stream together (the memory this may hold). */
const MAX_OUT = 8;

/** A first stretch of a stream and its CRC. */
export interface KnownStretch {
  readonly bytes: number;
  readonly crc: bigint;
}

/** A CRC fed in order: what `fetchPart` and the checkpoint need of it. */
export interface StreamCrc {
  update(chunk: Uint8Array): void;
  /**
   * The longest first stretch whose CRC is known now, without waiting: what a checkpoint written
   * while the part runs may vouch for. Bytes staged for a segment, or in a segment still at the
   * worker, are not in it yet.
   */
  known(): KnownStretch;
  /**
   * Every byte given so far, with its CRC: waits for the worker's answers and hashes what is staged
   * here (the last checkpoint after a failure or an interrupt). Stops at a segment the worker failed.
   */
  complete(): Promise<KnownStretch>;
  /** The CRC of every byte given; rejects if the worker failed on one of them. */
  digest(): Promise<bigint>;
}

// Runs in the worker (CommonJS, from a string: the bundles need no second file). It gets the
// compiled kernel and its tables, and answers each segment with its CRC as two uint32 halves.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { module, tables, stateOffset, stagingOffset, stagingSize } = workerData;
const { memory, update } = new WebAssembly.Instance(module, {}).exports;
const heap = new Uint8Array(memory.buffer);
const view = new DataView(memory.buffer);
for (let i = 0; i < tables.length; i++) view.setUint32(4 * i, tables[i], true);
parentPort.on('message', ({ id, buffer, length }) => {
  const data = new Uint8Array(buffer, 0, length);
  view.setUint32(stateOffset, 0xffffffff, true);
  view.setUint32(stateOffset + 4, 0xffffffff, true);
  for (let offset = 0; offset < length; offset += stagingSize) {
    const end = Math.min(offset + stagingSize, length);
    heap.set(data.subarray(offset, end), stagingOffset);
    update(stagingOffset, end - offset);
  }
  const lo = ~view.getUint32(stateOffset, true) >>> 0;
  const hi = ~view.getUint32(stateOffset + 4, true) >>> 0;
  parentPort.postMessage({ id, lo, hi, buffer }, [buffer]);
});
`;

interface Answer {
  readonly id: number;
  readonly lo: number;
  readonly hi: number;
  readonly buffer: ArrayBuffer;
}

interface Waiting {
  readonly resolve: (crc: bigint) => void;
  readonly reject: (error: Error) => void;
}

/** The one CRC worker of the process, started on first use; holds the event loop only while busy. */
export class CrcWorker {
  static #shared: CrcWorker | 'unavailable' | undefined;
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting>();
  readonly #free: ArrayBuffer[] = [];
  #next = 0;
  #answered = 0;
  #failure: Error | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (answer: Answer) => this.#answer(answer));
    worker.on('messageerror', (error: Error) => this.#fail(error));
    worker.on('error', (error: Error) => this.#fail(error));
    worker.on('exit', (code) => this.#fail(new Error(`the CRC worker stopped (exit code ${code})`)));
    worker.unref(); // after on('message'), which refs it again
  }

  /**
   * The shared worker; undefined with one core (nothing to gain), when no worker can be started
   * (e.g. Node's permission model without --allow-worker), or after it failed.
   */
  static shared(): CrcWorker | undefined {
    if (CrcWorker.#shared === undefined) {
      if (availableParallelism() < 2) return undefined;
      try {
        CrcWorker.#shared = new CrcWorker(new Worker(WORKER_SOURCE, { eval: true, workerData: kernelParts }));
      } catch {
        CrcWorker.#shared = 'unavailable';
      }
    }
    const shared = CrcWorker.#shared;
    return shared !== 'unavailable' && shared.#failure === undefined ? shared : undefined;
  }

  /** Whether a segment may be sent now: the worker runs and has fewer than the most out. */
  get available(): boolean {
    return this.#failure === undefined && this.#waiting.size < MAX_OUT;
  }

  /** Segments answered since the worker started (tests: which path ran). */
  get answered(): number {
    return this.#answered;
  }

  /** A segment's buffer, reused from answered segments when one is free. */
  take(): ArrayBuffer {
    return this.#free.pop() ?? new ArrayBuffer(SEGMENT_BYTES);
  }

  /** Takes back a segment buffer that was hashed here, for reuse. */
  give(buffer: ArrayBuffer): void {
    if (buffer.byteLength === SEGMENT_BYTES && this.#free.length < MAX_OUT) this.#free.push(buffer);
  }

  /**
   * Sends the first `length` bytes of `buffer` (transferred: unusable here after) and resolves to
   * their CRC. Throws, with `buffer` still usable, if it could not be sent.
   */
  hash(buffer: ArrayBuffer, length: number): Promise<bigint> {
    if (this.#failure !== undefined) throw this.#failure;
    if (!Number.isSafeInteger(length) || length < 0 || length > buffer.byteLength) {
      throw new RangeError(
        `CrcWorker.hash: length ${length} is not within the buffer's ${buffer.byteLength} bytes`,
      );
    }
    const id = this.#next++;
    this.#worker.postMessage({ id, buffer, length }, [buffer]);
    if (this.#waiting.size === 0) this.#worker.ref();
    return new Promise<bigint>((resolve, reject) => this.#waiting.set(id, { resolve, reject }));
  }

  /** Stops the worker (tests; a process exits without it). The next `shared()` starts a new one. */
  static async stop(): Promise<void> {
    const shared = CrcWorker.#shared;
    CrcWorker.#shared = undefined;
    if (shared !== undefined && shared !== 'unavailable') await shared.#worker.terminate();
  }

  #answer({ id, lo, hi, buffer }: Answer): void {
    const waiting = this.#waiting.get(id);
    this.#waiting.delete(id);
    if (this.#waiting.size === 0) this.#worker.unref();
    this.#answered++;
    this.give(buffer);
    waiting?.resolve((BigInt(hi) << 32n) | BigInt(lo));
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiting of this.#waiting.values()) waiting.reject(this.#failure);
    this.#waiting.clear();
    this.#worker.unref();
  }
}

interface Segment {
  readonly length: number;
  crc: bigint | undefined;
  error: Error | undefined;
  /** Settles (never rejects) when the worker answers; undefined for a segment hashed here. */
  readonly answer: Promise<void> | undefined;
}

/** A stream's CRC from segments hashed by the worker or here, combined in order. */
class SegmentedCrc implements StreamCrc {
  readonly #worker: CrcWorker;
  readonly #segments: Segment[] = [];
  /** The segment being filled: a view of a whole buffer from the worker's pool. */
  #staging: Uint8Array<ArrayBuffer> | undefined;
  #filled = 0;
  #knownIndex = 0;
  #knownBytes = 0;
  #knownCrc = 0n;
  #given = 0;

  constructor(worker: CrcWorker) {
    this.#worker = worker;
  }

  update(chunk: Uint8Array): void {
    this.#given += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      this.#staging ??= new Uint8Array(this.#worker.take());
      const take = Math.min(chunk.length - offset, SEGMENT_BYTES - this.#filled);
      const slice = offset === 0 && take === chunk.length ? chunk : chunk.subarray(offset, offset + take);
      this.#staging.set(slice, this.#filled);
      this.#filled += take;
      offset += take;
      if (this.#filled === SEGMENT_BYTES) this.#seal(this.#worker.available);
    }
  }

  known(): KnownStretch {
    return { bytes: this.#knownBytes, crc: this.#knownCrc };
  }

  async complete(): Promise<KnownStretch> {
    await this.#settled();
    this.#seal(false);
    if (this.#staging !== undefined) this.#worker.give(this.#staging.buffer);
    this.#staging = undefined;
    return this.known();
  }

  async digest(): Promise<bigint> {
    const { bytes, crc } = await this.complete();
    const failed = this.#segments.find((segment) => segment.error !== undefined);
    if (failed?.error !== undefined) throw failed.error;
    if (bytes !== this.#given) throw new Error(`CRC stream: ${bytes} of ${this.#given} bytes accounted for`);
    return crc;
  }

  /** Waits for every segment sent so far, and for those sent meanwhile. */
  async #settled(): Promise<void> {
    for (let i = 0; i < this.#segments.length; i++) await this.#segments[i]?.answer;
  }

  /** Hashes what is staged: at the worker (`send`), or here when not sending or it cannot be sent. */
  #seal(send: boolean): void {
    const staging = this.#staging;
    const length = this.#filled;
    if (staging === undefined || length === 0) return;
    if (send) {
      let answer: Promise<bigint> | undefined;
      try {
        answer = this.#worker.hash(staging.buffer, length);
      } catch {
        // Not sent (the worker failed meanwhile): the buffer is still ours; hash it here.
      }
      if (answer !== undefined) {
        this.#staging = undefined;
        this.#filled = 0;
        const segment: Segment = {
          length,
          crc: undefined,
          error: undefined,
          answer: answer.then(
            (crc) => {
              segment.crc = crc;
              this.#advance();
            },
            (error: Error) => {
              segment.error = error;
            },
          ),
        };
        this.#segments.push(segment);
        return;
      }
    }
    this.#filled = 0;
    this.#segments.push({
      length,
      crc: crc64(staging.subarray(0, length)),
      error: undefined,
      answer: undefined,
    });
    this.#advance();
  }

  /** Folds answered segments, in order, into the known first stretch. */
  #advance(): void {
    for (;;) {
      const segment = this.#segments[this.#knownIndex];
      if (segment?.crc === undefined) return;
      this.#knownCrc = crc64Combine(this.#knownCrc, segment.crc, segment.length);
      this.#knownBytes += segment.length;
      this.#knownIndex++;
    }
  }
}

/** A CRC computed here, read by read. */
class LocalCrc implements StreamCrc {
  readonly #crc = new Crc64();

  update(chunk: Uint8Array): void {
    this.#crc.update(chunk);
  }

  known(): KnownStretch {
    return { bytes: this.#crc.length, crc: this.#crc.digest() };
  }

  complete(): Promise<KnownStretch> {
    return Promise.resolve(this.known());
  }

  digest(): Promise<bigint> {
    return Promise.resolve(this.#crc.digest());
  }
}

/**
 * A CRC for a stream of `length` bytes: on the worker when the stream fills at least one segment and
 * there is a second core, here otherwise.
 */
export function streamCrc(length: number): StreamCrc {
  const worker = length >= SEGMENT_BYTES ? CrcWorker.shared() : undefined;
  return worker === undefined ? new LocalCrc() : new SegmentedCrc(worker);
}
