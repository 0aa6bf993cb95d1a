// What the emulator saw: one record per request, counters, concurrency.
import type { RequestKind } from './faults.js';

/** One request as received and answered. Secrets are not kept (see `headers`). */
export interface RequestRecord {
  method: string;
  /** The decoded request path, e.g. `/dir/a b.txt`. */
  path: string;
  /** Decoded query parameters; `q-signature` and `x-cos-security-token` are redacted. */
  query: Record<string, string>;
  /**
   * Lowercased request headers. `authorization` is left out (see `signed`);
   * `x-cos-security-token` and the SSE-C customer key are redacted.
   */
  headers: Record<string, string>;
  /** Whether the request carried a signature (header or pre-signed URL). */
  signed: boolean;
  /**
   * The Authorization header with its `q-signature` value replaced by `***`: enough to check
   * which headers and parameters were signed, useless to replay.
   */
  authorization?: string;
  /** 0 until the status line is sent. */
  status: number;
  /** Object body bytes handed to the socket so far (GET Object only; XML bodies are not counted). */
  bytesSent: number;
  /** `Date.now()` when the request arrived. */
  startedAt: number;
  kind: RequestKind;
  /** The Range header, when sent. */
  range?: string;
}

/** Live statistics; `emulator.stats`. */
export interface Stats {
  /** Every request since start (or the last `reset()`), in arrival order. */
  readonly requests: readonly RequestRecord[];
  /** Requests of this kind (all requests when no kind is given). */
  count(kind?: RequestKind): number;
  /** Object body bytes actually written to sockets by GET Object answers (XML bodies not counted). */
  readonly bytesServed: number;
  /** Most GET Object requests in flight at once. */
  readonly maxInFlight: number;
  /** GET Object requests in flight now. */
  readonly inFlight: number;
  reset(): void;
}

const REDACTED = '***';
const SECRET_HEADERS = new Set(['x-cos-security-token', 'x-cos-server-side-encryption-customer-key']);
const SECRET_PARAMS = new Set(['q-signature', 'x-cos-security-token']);

export function recordHeaders(
  raw: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name === 'authorization' || value === undefined) continue;
    headers[name] = SECRET_HEADERS.has(name) ? REDACTED : Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

export function redactAuthorization(value: string): string {
  return value.replace(/(^|&)q-signature=[^&]*/, `$1q-signature=${REDACTED}`);
}

export function recordQuery(query: ReadonlyArray<readonly [string, string]>): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [name, value] of query) record[name] = SECRET_PARAMS.has(name) ? REDACTED : value;
  return record;
}

export class StatsRecorder implements Stats {
  #requests: RequestRecord[] = [];
  #bytesServed = 0;
  #inFlight = 0;
  #maxInFlight = 0;

  get requests(): readonly RequestRecord[] {
    return this.#requests;
  }

  get bytesServed(): number {
    return this.#bytesServed;
  }

  get maxInFlight(): number {
    return this.#maxInFlight;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  count(kind?: RequestKind): number {
    return kind === undefined ? this.#requests.length : this.#requests.filter((r) => r.kind === kind).length;
  }

  reset(): void {
    this.#requests = [];
    this.#bytesServed = 0;
    this.#maxInFlight = this.#inFlight;
  }

  add(record: RequestRecord): void {
    this.#requests.push(record);
  }

  sent(record: RequestRecord, bytes: number): void {
    record.bytesSent += bytes;
    this.#bytesServed += bytes;
  }

  /** Marks a GET Object in flight; returns the function that ends it. */
  enter(): () => void {
    this.#inFlight += 1;
    this.#maxInFlight = Math.max(this.#maxInFlight, this.#inFlight);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#inFlight -= 1;
    };
  }
}
