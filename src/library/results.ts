// What the library's calls return: the action's outputs in camelCase, typed, plus what a program needs
// to act on them. Built from the core's results; no I/O.

import type { MirrorResult } from '../transfer/mirror.js';
import type { ObjectDownloadResult } from '../transfer/object-result.js';

/** How the written bytes were checked. */
export type CrcCheck =
  /** The CRC64 of the bytes matched the object's. */
  | 'verified'
  /** `crc: false`: only the length was checked. */
  | 'disabled'
  /** No CRC64 header came with the object (an old COS object, or a link to another server): only the length was checked. */
  | 'no-crc-header'
  /** A byte range: COS's CRC64 covers the whole object, so only the length was checked. */
  | 'partial-range';

/** A conditional download (`ifNoneMatch`, `ifModifiedSince`) that COS answered with 304: nothing was written. */
export interface NotModifiedResult {
  /** `'not-modified'`. */
  readonly status: 'not-modified';
  /** `true`: the condition held, nothing was written. */
  readonly notModified: true;
  /** The object's key. */
  readonly key: string;
  /** Absolute path of the file that was not written (or left as it was). */
  readonly path: string;
  /** 0. */
  readonly bytesDownloaded: 0;
}

/** An object downloaded, or found unchanged and skipped, or (in a dry run) that would be downloaded. */
export interface ObjectResult {
  /**
   * `'downloaded'`: the file was written and verified. `'skipped'`: the local file already matches the
   * object (`overwrite: 'changed'`) or exists (`overwrite: 'never'`). `'would-download'`: a dry run.
   */
  readonly status: 'downloaded' | 'skipped' | 'would-download';
  /** `false`. */
  readonly notModified: false;
  /** The object's key. */
  readonly key: string;
  /** ETag of the object, quoted as COS sends it. */
  readonly etag: string;
  /** Version ID of the object, when the bucket is versioned. */
  readonly versionId?: string;
  /** CRC64 (unsigned decimal, up to 2^64 − 1, so a string) of the whole object; absent on old objects. */
  readonly crc64?: string;
  /** Bytes written to `path`: the object's size, or the range's length for a range. */
  readonly contentLength: number;
  /** The object's whole size in bytes. */
  readonly size: number;
  /** Last-Modified of the object, ISO 8601 (as COS sent it if it was no date). */
  readonly lastModified: string;
  /** Storage class of the object (`STANDARD` when COS omits it). */
  readonly storageClass: string;
  /** Absolute path of the file. */
  readonly path: string;
  /** Bytes fetched from COS by this call (0 for a skip; less than `contentLength` after a resume). */
  readonly bytesDownloaded: number;
  /** How the bytes were checked. */
  readonly crcCheck: CrcCheck;
  /** Why the file was skipped. */
  readonly reason?: string;
}

/** What {@link downloadObject} resolves to: test `notModified` (or `status`) to tell the two apart. */
export type DownloadObjectResult = ObjectResult | NotModifiedResult;

/** One key of a mirror and what was done with it. */
export interface MirrorFileResult {
  /** The object's key. */
  readonly key: string;
  /** The file, relative to the destination, `/`-separated. */
  readonly path: string;
  /** Bytes. */
  readonly size: number;
  /** `download` (or, in a dry run, would), `skip` (unchanged) or `delete` (with `delete: true`). */
  readonly action: 'download' | 'skip' | 'delete';
  /** Why, for a skip or a delete. */
  readonly reason?: string;
}

/** A key that maps to no safe local path (`..`, an absolute path, a drive letter, …): not written. */
export interface RefusedKey {
  /** The key as listed. */
  readonly key: string;
  /** Why it was refused. */
  readonly reason: string;
}

/** What {@link mirrorPrefix} resolves to. */
export interface MirrorPrefixResult {
  /** Absolute path of the destination folder. */
  readonly path: string;
  /** Files downloaded (in a dry run: that would be). */
  readonly filesDownloaded: number;
  /** Files skipped because unchanged. */
  readonly filesSkipped: number;
  /** Local files deleted by `delete: true` (in a dry run: that would be). */
  readonly filesDeleted: number;
  /** Bytes fetched from COS. */
  readonly bytesDownloaded: number;
  /** Absolute path of the JSON manifest (key, etag, version-id, crc64, size, local path); absent in a dry run. */
  readonly manifest?: string;
  /** Whether this was a dry run (nothing written). */
  readonly dryRun: boolean;
  /** Every file's fate: downloads and skips as decided, then deletions. */
  readonly files: readonly MirrorFileResult[];
  /** Keys not written because they are unsafe as local paths. */
  readonly refused: readonly RefusedKey[];
  /** Keys of ARCHIVE / DEEP_ARCHIVE objects, not downloaded (restore them first). */
  readonly archived: readonly string[];
  /** Listing requests made. */
  readonly listRequests: number;
  /** Milliseconds the mirror took. */
  readonly elapsedMs: number;
}

/** The core's object result in the library's terms. */
export function objectResult(key: string, object: ObjectDownloadResult): DownloadObjectResult {
  if (object.status === 'not-modified') {
    return { status: 'not-modified', notModified: true, key, path: object.path, bytesDownloaded: 0 };
  }
  const info = object.info;
  const lastModified = new Date(info.lastModified);
  return {
    status: object.status,
    notModified: false,
    key: info.key,
    etag: info.etag,
    ...(info.versionId === undefined ? {} : { versionId: info.versionId }),
    ...(info.crc64 === undefined ? {} : { crc64: info.crc64 }),
    contentLength: object.length,
    size: info.size,
    lastModified: Number.isNaN(lastModified.getTime()) ? info.lastModified : lastModified.toISOString(),
    storageClass: info.storageClass,
    path: object.path,
    bytesDownloaded: object.bytesDownloaded,
    crcCheck: object.crcCheck,
    ...(object.reason === undefined ? {} : { reason: object.reason }),
  };
}

/** The core's mirror result in the library's terms. */
export function mirrorResult(mirror: MirrorResult, dryRun: boolean): MirrorPrefixResult {
  return {
    path: mirror.destination,
    filesDownloaded: mirror.downloaded,
    filesSkipped: mirror.skipped,
    filesDeleted: mirror.deleted,
    bytesDownloaded: mirror.bytesDownloaded,
    ...(mirror.manifest === undefined ? {} : { manifest: mirror.manifest }),
    dryRun,
    files: mirror.files.map((file) => ({
      key: file.key,
      path: file.path,
      size: file.size,
      action: file.action,
      ...(file.reason === undefined ? {} : { reason: file.reason }),
    })),
    refused: mirror.refused.map((refused) => ({ key: refused.key, reason: refused.reason })),
    archived: [...mirror.archived],
    listRequests: mirror.listRequests,
    elapsedMs: mirror.elapsedMs,
  };
}
