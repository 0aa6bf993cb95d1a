// The manifest a mirror keeps in its state folder: what it wrote (key → etag, size, crc64, version)
// and the local file's identity then. A re-run compares the listing against it with a stat per file
// and no request; `delete` removes only files it records as written by us and still as we left
// them. Its format and entries are here; it is read and written as a stream (manifest-stream.ts).
// Never holds a secret.
import type { Stats } from 'node:fs';
import { isStateSegment } from '../base/state-name.js';
import { manifestPath } from './state.js';

export const MANIFEST_FORMAT = 'cos-download-manifest/2';
/** Where and how versions before the state folder kept the manifest; read once to migrate. */
export const LEGACY_MANIFEST_NAME = '.cos-download-manifest.json';
export const LEGACY_FORMAT = 'cos-download-manifest/1';

export interface ManifestEntry {
  readonly key: string;
  readonly etag: string;
  readonly 'version-id'?: string;
  readonly crc64?: string;
  readonly size: number;
  /** Path relative to the destination, `/`-separated. */
  readonly path: string;
  readonly 'local-size': number;
  readonly 'local-mtime-ms': number;
  /** The file's inode and change time when it was written: what `delete` checks it still is. */
  readonly 'local-ino'?: number;
  readonly 'local-ctime-ms'?: number;
  /**
   * True when cos-download wrote the file (downloaded it, here or in a run whose mirror the
   * Actions cache restored); false for a file it found already holding the object's bytes.
   * `delete` only ever removes written files.
   */
  readonly written: boolean;
}

/** Whose mirror a manifest records. */
export interface ManifestScope {
  readonly bucket: string;
  readonly prefix: string;
}

export { manifestPath };

/** The local file still has the size and mtime recorded when it was written or checked. */
export function stillAsRecorded(
  entry: ManifestEntry,
  local: { readonly size: number; readonly mtimeMs: number },
): boolean {
  return entry['local-size'] === local.size && entry['local-mtime-ms'] === local.mtimeMs;
}

/**
 * The local file is still the very file that was written: the same inode, changed at the same
 * moment. Unlike an mtime, neither can be set to a value chosen in advance, so a manifest planted
 * in the workspace cannot claim a file that is there for another reason.
 */
export function sameInode(
  entry: ManifestEntry,
  local: { readonly ino: number; readonly ctimeMs: number },
): boolean {
  return entry['local-ino'] === local.ino && entry['local-ctime-ms'] === local.ctimeMs;
}

/** The entry, with the local file's identity (size, mtime, inode, change time) as it is now. */
export function withLocalIdentity(entry: ManifestEntry, local: Stats): ManifestEntry {
  return {
    ...entry,
    'local-size': local.size,
    'local-mtime-ms': local.mtimeMs,
    'local-ino': local.ino,
    'local-ctime-ms': local.ctimeMs,
  };
}

function validEntry(value: unknown, legacy: boolean): value is ManifestEntry {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  const count = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  return (
    typeof e.key === 'string' &&
    typeof e.etag === 'string' &&
    typeof e.path === 'string' &&
    count(e.size) &&
    count(e['local-size']) &&
    count(e['local-mtime-ms']) &&
    (e['version-id'] === undefined || typeof e['version-id'] === 'string') &&
    (e.crc64 === undefined || typeof e.crc64 === 'string') &&
    (e['local-ino'] === undefined || count(e['local-ino'])) &&
    (e['local-ctime-ms'] === undefined || count(e['local-ctime-ms'])) &&
    (legacy || typeof e.written === 'boolean')
  );
}

/** An entry as read: invalid ones, and ones that claim a path in the state folder, are not trusted. */
export function trusted(value: unknown, legacy: boolean): ManifestEntry | undefined {
  if (!validEntry(value, legacy) || value.path.split('/').some(isStateSegment)) return undefined;
  // An old manifest could not tell written files from adopted ones: none counts as written.
  return legacy ? { ...value, written: false } : value;
}

/** The first line of a manifest: its format, bucket and prefix, and the start of its entries. */
export function headerLine(scope: ManifestScope): string {
  const head = JSON.stringify({ format: MANIFEST_FORMAT, bucket: scope.bucket, prefix: scope.prefix });
  return `${head.slice(0, -1)},"objects":[`;
}
