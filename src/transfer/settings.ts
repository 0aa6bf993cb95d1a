// What every transfer of a run shares: the settings, built once from the options and frozen, and
// the injected edges (logger, clock, cancellation, progress). Passed by reference, never re-mapped.
import type { Overwrite } from '../base/request.js';
import { type Clock, type Logger, silentLogger, systemClock } from '../base/runtime.js';
import type { ObjectInfo } from '../cos/object.js';

export interface TransferSettings {
  readonly partSize: number;
  /** Requests in flight at once, across objects and parts. */
  readonly concurrency: number;
  /** Of those, at most this many a large object's parts (≤ concurrency). */
  readonly partConcurrency: number;
  readonly crc: boolean;
  /**
   * Make files and folders durable (fsync) before each rename and before the manifest. Off by
   * default, like curl, rclone and the COS SDKs: kills and crashes are covered by temp file +
   * rename and by resume re-checking every kept part; this covers a power loss.
   */
  readonly fsync: boolean;
  readonly overwrite: Overwrite;
  /** Decide only: HEAD and list, write nothing. */
  readonly dryRun: boolean;
  /** `x-cos-traffic-limit`, bit/s per request. */
  readonly trafficLimit?: number | undefined;
  /** Base64 AES-256 key (SSE-C). */
  readonly sseCustomerKey?: string | undefined;
}

export interface ProgressListener {
  /**
   * An object's download starts, once its size and its resume state are known: `length` bytes to
   * write, of which `alreadyOnDisk` an earlier run left (a resume). Those are never reported through
   * `onBytes`, which counts only the bytes this run fetches.
   */
  readonly onStart?: ((info: ObjectInfo, length: number, alreadyOnDisk: number) => void) | undefined;
  /** Bytes landed in a temp file. */
  readonly onBytes?: ((count: number) => void) | undefined;
}

/** The edges every transfer reaches through. */
export interface TransferDeps {
  readonly logger: Logger;
  readonly clock: Clock;
  /** Aborted when the run is cancelled. */
  readonly signal: AbortSignal;
  readonly progress: ProgressListener;
  /** How long to wait for another run writing the same destination. */
  readonly lockWaitMs: number;
}

/** How long a run waits, by default, for another run writing the same destination. */
const LOCK_WAIT_MS = 60_000;

const never = new AbortController().signal;

/** The deps with their defaults: the system clock, no logging, never cancelled, no progress. */
export function transferDeps(
  given: { readonly [K in keyof TransferDeps]?: TransferDeps[K] | undefined } = {},
): TransferDeps {
  return Object.freeze({
    logger: given.logger ?? silentLogger,
    clock: given.clock ?? systemClock,
    signal: given.signal ?? never,
    progress: given.progress ?? {},
    lockWaitMs: given.lockWaitMs ?? LOCK_WAIT_MS,
  });
}

/** The same deps, cancelled also by `signal` (a lost lock, a failing sibling). */
export function withSignal(deps: TransferDeps, signal: AbortSignal): TransferDeps {
  return Object.freeze({ ...deps, signal: AbortSignal.any([deps.signal, signal]) });
}
