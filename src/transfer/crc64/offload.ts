// The CRC of a part's bytes on a second core. The receive path writes each read and hands it here;
// bytes are copied into 1 MiB segments, and a full segment goes (transferred, not copied) to one
// worker thread that runs the same kernel and sends its CRC back; the stream's CRC is the segments'
// CRCs combined in order. When the worker is busy (too many segments out), is gone, or the machine
// has one core, a segment is hashed here instead: same result, no wait. See docs/adr/0002-crc64.md.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Crc64, crc64, crc64Combine } from '../crc64.js';
import { kernelParts } from './wasm-kernel.js';

/** Bytes a segment holds before it is hashed. */
export const SEGMENT_BYTES = 1024 * 1024;
/** Segments out at the worker at once, every stream together (the memory this may hold). */
const MAX_OUT = 8;

/** A CRC fed in order: what `fetchPart` and the checkpoint need of it. */
export interface StreamCrc {
  update(chunk: Uint8Array): void;
  /**
   * The longest first stretch whose CRC is known now (what a checkpoint may vouch for): up to the
   * first segment still at the worker. `exact` hashes here what is staged, so every byte given
   * counts once the worker has answered (see `settled`); otherwise staged bytes wait for their segment.
   */
  known(exact: boolean): { readonly bytes: number; readonly crc: bigint };
  /** Resolves once every segment sent to the worker so far is answered (or failed). */
  settled(): Promise<void>;
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
  static #shared: CrcWorker | undefined;
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting>();
  readonly #free: ArrayBuffer[] = [];
  #next = 0;
  #failure: Error | undefined;

  private constructor() {
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: kernelParts });
    this.#worker.on('message', (answer: Answer) => this.#answer(answer));
    this.#worker.on('error', (error: Error) => this.#fail(error));
    this.#worker.on('exit', (code) => this.#fail(new Error(`the CRC worker stopped (exit code ${code})`)));
    this.#worker.unref(); // after on('message'), which refs it again
  }

  /** The shared worker, or undefined with one core (nothing to gain) or after it failed. */
  static shared(): CrcWorker | undefined {
    if (availableParallelism() < 2) return undefined;
    CrcWorker.#shared ??= new CrcWorker();
    const shared = CrcWorker.#shared;
    return shared.#failure === undefined ? shared : undefined;
  }

  /** Whether a segment sent now would wait behind too many others. */
  get full(): boolean {
    return this.#waiting.size >= MAX_OUT || this.#failure !== undefined;
  }

  /** A segment buffer, reused from answered segments when one is free. */
  take(): Uint8Array {
    return new Uint8Array(this.#free.pop() ?? new ArrayBuffer(SEGMENT_BYTES));
  }

  /** Gives `segment` (its buffer is transferred: unusable here after) and resolves to the CRC of its first `length` bytes. */
  hash(segment: Uint8Array, length: number): Promise<bigint> {
    const id = this.#next++;
    const answer = new Promise<bigint>((resolve, reject) => this.#waiting.set(id, { resolve, reject }));
    if (this.#waiting.size === 1) this.#worker.ref();
    const buffer = segment.buffer as ArrayBuffer;
    this.#worker.postMessage({ id, buffer, length }, [buffer]);
    return answer;
  }

  /** Stops the worker (tests; a process exits without it). */
  static async stop(): Promise<void> {
    const shared = CrcWorker.#shared;
    CrcWorker.#shared = undefined;
    if (shared !== undefined) await shared.#worker.terminate();
  }

  #answer({ id, lo, hi, buffer }: Answer): void {
    const waiting = this.#waiting.get(id);
    this.#waiting.delete(id);
    if (this.#waiting.size === 0) this.#worker.unref();
    if (this.#free.length < MAX_OUT) this.#free.push(buffer);
    waiting?.resolve((BigInt(hi) << 32n) | BigInt(lo));
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiting of this.#waiting.values()) waiting.reject(this.#failure);
    this.#waiting.clear();
  }
}

interface Segment {
  readonly length: number;
  crc: bigint | undefined;
  error: Error | undefined;
  readonly answer: Promise<unknown> | undefined;
}

/** A stream's CRC from segments hashed by the worker or here, combined in order. */
class SegmentedCrc implements StreamCrc {
  readonly #worker: CrcWorker;
  readonly #segments: Segment[] = [];
  #staging: Uint8Array | undefined;
  #filled = 0;
  #knownIndex = 0;
  #knownBytes = 0;
  #knownCrc = 0n;

  constructor(worker: CrcWorker) {
    this.#worker = worker;
  }

  update(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      this.#staging ??= this.#worker.take();
      const take = Math.min(chunk.length - offset, SEGMENT_BYTES - this.#filled);
      this.#staging.set(
        offset === 0 && take === chunk.length ? chunk : chunk.subarray(offset, offset + take),
        this.#filled,
      );
      this.#filled += take;
      offset += take;
      if (this.#filled === SEGMENT_BYTES) this.#seal(false);
    }
  }

  known(exact: boolean): { readonly bytes: number; readonly crc: bigint } {
    if (exact) this.#seal(true);
    return { bytes: this.#knownBytes, crc: this.#knownCrc };
  }

  async settled(): Promise<void> {
    for (const segment of this.#segments) if (segment.answer !== undefined) await segment.answer;
  }

  async digest(): Promise<bigint> {
    this.#seal(true);
    await this.settled();
    const failed = this.#segments.find((segment) => segment.error !== undefined);
    if (failed?.error !== undefined) throw failed.error;
    this.#advance();
    return this.#knownCrc;
  }

  /** Hashes what is staged: at the worker, unless it is full or `here` (a short stretch) is asked. */
  #seal(here: boolean): void {
    const staging = this.#staging;
    const length = this.#filled;
    if (staging === undefined || length === 0) return;
    this.#filled = 0;
    if (here || this.#worker.full) {
      this.#segments.push({
        length,
        crc: crc64(staging.subarray(0, length)),
        error: undefined,
        answer: undefined,
      });
      this.#advance();
      return;
    }
    this.#staging = undefined;
    const segment: Segment = {
      length,
      crc: undefined,
      error: undefined,
      answer: this.#worker.hash(staging, length).then(
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

/** A CRC computed here, read by read (one core, or the worker gone). */
class LocalCrc implements StreamCrc {
  readonly #crc = new Crc64();

  update(chunk: Uint8Array): void {
    this.#crc.update(chunk);
  }

  known(): { readonly bytes: number; readonly crc: bigint } {
    return { bytes: this.#crc.length, crc: this.#crc.digest() };
  }

  settled(): Promise<void> {
    return Promise.resolve();
  }

  digest(): Promise<bigint> {
    return Promise.resolve(this.#crc.digest());
  }
}

/** A CRC for a stream of many MiB: on the worker when there is a second core, here otherwise. */
export function streamCrc(): StreamCrc {
  const worker = CrcWorker.shared();
  return worker === undefined ? new LocalCrc() : new SegmentedCrc(worker);
}
