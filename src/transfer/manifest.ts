// The manifest a mirror keeps in its state folder: what it wrote (key → etag, size, crc64, version)
// and the local file's size and mtime then. A re-run compares listings against it with a stat per
// file and no request; `delete` removes only files it records as written by us and that are still
// as we left them. Written atomically, one entry per line; never holds a secret.
import type { Stats } from 'node:fs';
import path from 'node:path';
import { isStateSegment } from '../base/state-name.js';
import { parseJsonObject } from './checkpoint.js';
import { manifestPath, readOwnFile } from './state.js';
import { writeFileAtomic } from './temp-file.js';

export const MANIFEST_FORMAT = 'cos-download-manifest/2';
/** Where and how versions before the state folder kept the manifest; read once to migrate. */
export const LEGACY_MANIFEST_NAME = '.cos-download-manifest.json';
const LEGACY_FORMAT = 'cos-download-manifest/1';

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

export interface Manifest {
  readonly bucket: string;
  readonly prefix: string;
  readonly objects: ReadonlyMap<string, ManifestEntry>;
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

function byKey(a: ManifestEntry, b: ManifestEntry): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** JSON, one entry per line, sorted by key. */
export function serializeManifest(manifest: Manifest): string {
  const head = JSON.stringify({ format: MANIFEST_FORMAT, bucket: manifest.bucket, prefix: manifest.prefix });
  const entries = [...manifest.objects.values()].sort(byKey).map((entry) => JSON.stringify(entry));
  return `${head.slice(0, -1)},"objects":[\n${entries.join(',\n')}${entries.length > 0 ? '\n' : ''}]}\n`;
}

function validEntry(value: unknown, legacy: boolean): boolean {
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

/** Parses a manifest; undefined when it is not ours or is damaged (the mirror then compares content). */
export function parseManifest(text: string, format = MANIFEST_FORMAT): Manifest | undefined {
  const d = parseJsonObject(text);
  if (d === undefined) return undefined;
  if (d.format !== format || typeof d.bucket !== 'string' || typeof d.prefix !== 'string') return undefined;
  const legacy = format === LEGACY_FORMAT;
  if (!Array.isArray(d.objects) || !d.objects.every((entry) => validEntry(entry, legacy))) return undefined;
  const objects = new Map<string, ManifestEntry>();
  for (const entry of d.objects as ManifestEntry[]) {
    // No file of a mirror ever lives in the state folder: an entry that says so is not trusted.
    if (entry.path.split('/').some(isStateSegment)) continue;
    // An old manifest could not tell written files from adopted ones: none counts as written.
    objects.set(entry.key, legacy ? { ...entry, written: false } : entry);
  }
  return { bucket: d.bucket, prefix: d.prefix, objects };
}

export interface StoredManifest {
  readonly manifest: Manifest | undefined;
  /** The exact text read from the state folder (so an unchanged manifest need not be rewritten). */
  readonly text?: string;
  /** The legacy manifest this one was migrated from, to remove once the new one is written. */
  readonly legacyPath?: string;
}

/** The manifest of the mirror at `root`, migrating a legacy one when the state folder has none. */
export async function readManifest(root: string): Promise<StoredManifest> {
  const current = await readOwnFile(manifestPath(root));
  if (current.kind === 'text') return { manifest: parseManifest(current.text), text: current.text };
  if (current.kind === 'unreadable') return { manifest: undefined };
  const legacyPath = path.join(root, LEGACY_MANIFEST_NAME);
  const legacy = await readOwnFile(legacyPath);
  if (legacy.kind !== 'text') return { manifest: undefined };
  const manifest = parseManifest(legacy.text, LEGACY_FORMAT);
  return manifest === undefined ? { manifest: undefined } : { manifest, legacyPath };
}

/**
 * Writes the manifest atomically (temp, fsync, rename) into the state folder (which must exist).
 * When `previous` is the text already there and the new manifest serialises to the same text,
 * nothing is written.
 */
export async function writeManifest(root: string, manifest: Manifest, previous?: string): Promise<string> {
  const target = manifestPath(root);
  const text = serializeManifest(manifest);
  if (text !== previous) await writeFileAtomic(target, text, 0o644);
  return target;
}
