// What every handler of the emulator works with: one request's exchange, the bucket it is served
// from, and the COS error it may answer with (thrown, then written as COS's XML by the server).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultState } from './faults.js';
import type { RequestRecord, StatsRecorder } from './stats.js';
import type { Store } from './store.js';

export type Headers = Record<string, string | number>;

/** A COS error to answer with. */
export class CosError {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly message: string,
    readonly headers: Headers = {},
  ) {}
}

export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly record: RequestRecord;
  readonly requestId: string;
  readonly rawPath: string;
  /** Decoded path minus the bucket segment in path-style addressing; `/` for the bucket. */
  readonly key: string;
  readonly query: ReadonlyArray<readonly [string, string]>;
}

/** The served bucket, as the listing and object handlers see it. */
export interface ServedBucket {
  readonly bucket: string;
  readonly region: string;
  /** The APPID of `BucketName-APPID`: the owner ListObjects names. */
  readonly ownerId: string;
  readonly store: Store;
  readonly faultState: FaultState;
  readonly stats: StatsRecorder;
  /** Aborted when the emulator closes: stalled and throttled answers stop. */
  readonly closing: AbortController;
  /** Writes the status line and headers (with the emulator's Date). */
  respond(exchange: Exchange, status: number, headers: Headers): void;
}

/** A request header as one string (repeated headers joined with `, `). */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
