// What a mirror is asked for and what it ends in.

import type { ListPage } from '../cos/list.js';
import type { HeldLock } from './lock.js';
import type { MirrorScope } from './mirror-scope.js';

export interface MirrorRequest extends MirrorScope {
  readonly delete: boolean;
  /** A prefix that lists no object succeeds (with 0 files) instead of failing. */
  readonly allowEmpty?: boolean | undefined;
  /** Absolute folder. */
  readonly destination: string;
  readonly platform?: NodeJS.Platform | undefined;
  /** Keys per listing page (COS allows up to 1000, the default). */
  readonly listPageSize?: number | undefined;
}

export interface MirrorSource {
  /** The prefix's listing, when the caller already has it (the cache lists first); else it is fetched. */
  readonly listing?: Iterable<ListPage> | AsyncIterable<ListPage> | undefined;
  /** The folder's mirror lock, when the caller already holds it (the cache restores under it). */
  readonly lock?: HeldLock | undefined;
}

export type PlanAction = 'download' | 'skip' | 'delete';

export interface MirrorFile {
  readonly key: string;
  /** Relative to the destination, `/`-separated. */
  readonly path: string;
  readonly size: number;
  readonly action: PlanAction;
  readonly reason?: string;
}

/** At most this many files, refused keys and archived keys are listed in a result; counts are exact. */
export const SAMPLE_LIMIT = 1000;

export interface MirrorResult {
  readonly destination: string;
  readonly downloaded: number;
  readonly skipped: number;
  readonly deleted: number;
  readonly bytesDownloaded: number;
  /** Bytes of the objects to download (a dry run's plan) or downloaded. */
  readonly bytesPlanned: number;
  /** The first SAMPLE_LIMIT files' fates (downloads and skips as decided, then deletions). */
  readonly files: readonly MirrorFile[];
  /** Files decided beyond those in `files`. */
  readonly filesOmitted: number;
  /** The ten largest files downloaded (or, in a dry run, to download). */
  readonly largest: readonly MirrorFile[];
  /** Keys that map to no safe local path, with the reason (the first SAMPLE_LIMIT). */
  readonly refused: ReadonlyArray<{ readonly key: string; readonly reason: string }>;
  readonly refusedCount: number;
  /** ARCHIVE / DEEP_ARCHIVE objects, not downloaded (the first SAMPLE_LIMIT). */
  readonly archived: readonly string[];
  readonly archivedCount: number;
  /**
   * With `delete`: local files the prefix does not hold that were kept, because this tool did not
   * write them (`notOurs`) or they changed since it did (`changed`).
   */
  readonly kept: { readonly notOurs: number; readonly changed: number };
  readonly manifest?: string | undefined;
  readonly listRequests: number;
  readonly elapsedMs: number;
}

export class MirrorError extends Error {
  readonly result: MirrorResult;
  constructor(message: string, result: MirrorResult, cause: unknown) {
    super(message, { cause });
    this.name = 'MirrorError';
    this.result = result;
  }
}
