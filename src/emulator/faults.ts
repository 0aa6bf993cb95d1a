// Fault injection: what can go wrong between a COS client and COS, on demand and repeatable.

/** The kinds of request the emulator tells apart (stats, `failNext`). */
export type RequestKind = 'get' | 'head' | 'list' | 'other';

/** One queued failure: the next request of a matching kind answers this status and code. */
export interface QueuedFailure {
  readonly status: number;
  readonly code: string;
  /** Kinds this entry applies to; absent = any request. */
  readonly kinds?: ReadonlyArray<'get' | 'head' | 'list'>;
  /** Let this many matching requests through first (e.g. 1 fails the second listing page). */
  readonly skip?: number;
  /** A `Retry-After` header for the answer (seconds, or an HTTP date). */
  readonly retryAfter?: string;
}

/**
 * Injectable faults. All are off by default. `emulator.faults` is a plain mutable object read
 * on every request, so tests may assign fields directly; `setFaults` / `clearFaults` also reset
 * the seeded random generator and the per-key GET counters. "GET" below means GET Object
 * (kind `get`), not ListObjects.
 */
export interface Faults {
  /** Destroy the connection after this many body bytes of every GET (the client gets exactly these). */
  resetAfterBytes?: number | undefined;
  /** 0..1: this share of GETs is reset mid-body, at a seeded random offset. */
  resetRate?: number | undefined;
  /** 0..1: this share of all requests answers `errorStatus` instead (seeded). */
  errorRate?: number | undefined;
  /** Status for `errorRate`: 503 SlowDown (default), 500 InternalError, 429 TooManyRequests. */
  errorStatus?: 500 | 503 | 429 | undefined;
  /**
   * A queue: each entry fails the next matching request exactly once and is then removed from
   * this array (the emulator splices it).
   */
  failNext?: QueuedFailure[] | undefined;
  /** Delay before the response headers of every request (of a seeded share, with `latencyRate`). */
  latencyMs?: number | undefined;
  /** 0..1: only this share of requests waits `latencyMs` (seeded): latency spikes. */
  latencyRate?: number | undefined;
  /**
   * After this many GETs of a key, the key gets new content once: a new version (or a
   * replacement when versioning is off) with every byte inverted, so its ETag and CRC change.
   * Simulates an upload landing in the middle of a download.
   */
  etagChangeAfterRequests?: number | undefined;
  /** Answer every GET with 302 and this Location (COS origin-pull). Checked after auth. */
  redirect?: { readonly location: string } | undefined;
  /** Invert the byte at this object offset in every body served; the CRC header is unchanged. */
  corruptByteAt?: number | undefined;
  /** Send the full Content-Length but close the connection after half the body. */
  truncateBody?: boolean | undefined;
  /** 0..1: this share of GETs ends gracefully at a seeded random offset, short of its Content-Length. */
  truncateRate?: number | undefined;
  /** Stop sending after this many body bytes and keep the connection open (idle timeouts). */
  stallAfterBytes?: number | undefined;
  /** 0..1: this share of GETs stalls at a seeded random offset, the connection kept open. */
  stallRate?: number | undefined;
  /**
   * Serve at most this many GET body bytes in total (since `setFaults`), then stall every body:
   * the client freezes at a known point, e.g. to be killed there.
   */
  stallAfterTotalBytes?: number | undefined;
  /** List every key twice (a malformed listing: COS never repeats a key). */
  repeatListedKeys?: boolean | undefined;
  /** Answer ranged GETs with 200 and the whole body. */
  rangeIgnored?: boolean | undefined;
  /** Answer ranged GETs with 206 but a Content-Range shifted up by one byte. */
  wrongContentRange?: boolean | undefined;
  /** Seed for the `…Rate` faults (default 1). */
  seed?: number | undefined;
}

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How a GET body ends early, if it does. */
export interface BodyCut {
  /** Body bytes sent before the cut. */
  readonly at: number;
  /** `reset`: destroy the socket; `end`: end it gracefully; `stall`: stop writing, keep it open. */
  readonly action: 'reset' | 'end' | 'stall';
}

const ERROR_CODES: Readonly<Record<number, string>> = {
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'SlowDown',
};

/** Runtime state behind `Faults`: the PRNG, per-key GET counters. */
export class FaultState {
  readonly faults: Faults = {};
  #random: () => number = mulberry32(1);
  #seed: number | undefined;
  readonly #getCounts = new Map<string, number>();
  readonly #changedKeys = new Set<string>();
  /** Matching requests each `failNext` entry has let through (its `skip`). */
  #skipped = new WeakMap<QueuedFailure, number>();
  /** Body bytes promised to responses so far (`stallAfterTotalBytes`). */
  #budgetUsed = 0;

  set(partial: Faults): void {
    Object.assign(this.faults, partial);
    this.#restart();
  }

  clear(): void {
    for (const name of Object.keys(this.faults)) delete this.faults[name as keyof Faults];
    this.#restart();
  }

  #restart(): void {
    this.#seed = this.faults.seed;
    this.#random = mulberry32(this.faults.seed ?? 1);
    this.#getCounts.clear();
    this.#changedKeys.clear();
    this.#skipped = new WeakMap();
    this.#budgetUsed = 0;
  }

  #draw(): number {
    if (this.faults.seed !== this.#seed) this.#restart();
    return this.#random();
  }

  /** The queued or random failure this request must answer, if any. */
  takeFailure(
    kind: RequestKind,
  ): { status: number; code: string; retryAfter?: string | undefined } | undefined {
    const queue = this.faults.failNext;
    if (queue !== undefined) {
      const index = queue.findIndex(
        (entry) => entry.kinds === undefined || (kind !== 'other' && entry.kinds.includes(kind)),
      );
      const entry = queue[index];
      const passed = entry === undefined ? 0 : (this.#skipped.get(entry) ?? 0);
      if (entry !== undefined && passed < (entry.skip ?? 0)) {
        this.#skipped.set(entry, passed + 1);
      } else if (entry !== undefined) {
        queue.splice(index, 1);
        return { status: entry.status, code: entry.code, retryAfter: entry.retryAfter };
      }
    }
    const rate = this.faults.errorRate ?? 0;
    if (rate > 0 && this.#draw() < rate) {
      const status = this.faults.errorStatus ?? 503;
      return { status, code: ERROR_CODES[status] ?? 'InternalError' };
    }
    return undefined;
  }

  /** How long this request waits before its headers: `latencyMs`, for a seeded share with `latencyRate`. */
  latency(): number {
    const { latencyMs, latencyRate } = this.faults;
    if (latencyMs === undefined || latencyMs <= 0) return 0;
    if (latencyRate !== undefined && !(this.#draw() < latencyRate)) return 0;
    return latencyMs;
  }

  /** Counts a GET of `key`; true exactly once, when the key must change before it is served. */
  countGet(key: string): boolean {
    const count = (this.#getCounts.get(key) ?? 0) + 1;
    this.#getCounts.set(key, count);
    const limit = this.faults.etagChangeAfterRequests;
    if (limit === undefined || count <= limit || this.#changedKeys.has(key)) return false;
    this.#changedKeys.add(key);
    return true;
  }

  /** Where (and how) a GET body of `length` bytes is cut short, if at all. */
  bodyCut(length: number): BodyCut | undefined {
    const cuts: BodyCut[] = [];
    const { resetAfterBytes, truncateBody, stallAfterBytes, stallAfterTotalBytes } = this.faults;
    if (resetAfterBytes !== undefined && resetAfterBytes < length) {
      cuts.push({ at: Math.max(0, Math.floor(resetAfterBytes)), action: 'reset' });
    }
    for (const [rate, action] of [
      [this.faults.resetRate, 'reset'],
      [this.faults.truncateRate, 'end'],
      [this.faults.stallRate, 'stall'],
    ] as const) {
      if (rate !== undefined && rate > 0 && length > 0 && this.#draw() < rate) {
        cuts.push({ at: Math.floor(this.#draw() * length), action });
      }
    }
    if (truncateBody === true && length > 0) cuts.push({ at: Math.floor(length / 2), action: 'end' });
    if (stallAfterBytes !== undefined && stallAfterBytes < length) {
      cuts.push({ at: Math.max(0, Math.floor(stallAfterBytes)), action: 'stall' });
    }
    if (stallAfterTotalBytes !== undefined) {
      const left = Math.max(0, Math.floor(stallAfterTotalBytes) - this.#budgetUsed);
      if (left < length) cuts.push({ at: left, action: 'stall' });
    }
    let first: BodyCut | undefined;
    for (const cut of cuts) if (first === undefined || cut.at < first.at) first = cut;
    if (stallAfterTotalBytes !== undefined) this.#budgetUsed += first?.at ?? length;
    return first;
  }
}
