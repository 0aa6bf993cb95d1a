// What a single-object download ends in, and the two failures that prove the bytes wrong.
import type { ObjectInfo } from '../cos/object.js';

/** How the written bytes were checked. */
export type CrcCheck = 'verified' | 'disabled' | 'no-crc-header' | 'partial-range';

/** An object's bytes at a path: downloaded, skipped as already there, or (dry run) to be downloaded. */
export interface ObjectAtPath {
  readonly status: 'downloaded' | 'skipped' | 'would-download';
  readonly path: string;
  readonly info: ObjectInfo;
  /** Bytes written to `path` (the range length for a range). */
  readonly length: number;
  /** Bytes fetched from COS by this run. */
  readonly bytesDownloaded: number;
  readonly crcCheck: CrcCheck;
  /** Why a file was skipped. */
  readonly reason?: string | undefined;
}

export type ObjectDownloadResult = { readonly status: 'not-modified'; readonly path: string } | ObjectAtPath;

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
