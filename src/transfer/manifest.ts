// The manifest a mirror keeps in its destination: what was downloaded (key → etag, size, crc64,
// version) and the local file's size and mtime then. A re-run compares listings against it with a
// stat per file and no request. Written atomically; never holds a secret.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseJsonObject } from './checkpoint.js';
import { writeFileAtomic } from './temp-file.js';

export const MANIFEST_NAME = '.cos-download-manifest.json';
export const MANIFEST_FORMAT = 'cos-download-manifest/1';

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
}

export interface Manifest {
  readonly bucket: string;
  readonly prefix: string;
  readonly objects: ReadonlyMap<string, ManifestEntry>;
}

export function manifestPath(destination: string): string {
  return path.join(destination, MANIFEST_NAME);
}

export function serializeManifest(manifest: Manifest): string {
  const objects = [...manifest.objects.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return `${JSON.stringify({ format: MANIFEST_FORMAT, bucket: manifest.bucket, prefix: manifest.prefix, objects }, null, 1)}\n`;
}

function validEntry(value: unknown): value is ManifestEntry {
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
    (e.crc64 === undefined || typeof e.crc64 === 'string')
  );
}

/** Parses a manifest; undefined when it is not ours or is damaged (the mirror then compares content). */
export function parseManifest(text: string): Manifest | undefined {
  const d = parseJsonObject(text);
  if (d === undefined) return undefined;
  if (d.format !== MANIFEST_FORMAT || typeof d.bucket !== 'string' || typeof d.prefix !== 'string')
    return undefined;
  if (!Array.isArray(d.objects) || !d.objects.every(validEntry)) return undefined;
  return {
    bucket: d.bucket,
    prefix: d.prefix,
    objects: new Map((d.objects as ManifestEntry[]).map((entry) => [entry.key, entry])),
  };
}

export async function readManifest(destination: string): Promise<Manifest | undefined> {
  return (await readManifestText(destination))?.manifest;
}

/** The manifest and the exact text it was parsed from (so an unchanged one need not be rewritten). */
export async function readManifestText(
  destination: string,
): Promise<{ readonly manifest: Manifest | undefined; readonly text: string } | undefined> {
  const text = await readFile(manifestPath(destination), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : { manifest: parseManifest(text), text };
}

/**
 * Writes the manifest atomically (temp, fsync, rename). When `previous` is the text already on disk
 * and the new manifest serialises to the same text, nothing is written: the file is as durable as
 * when it was written.
 */
export async function writeManifest(
  destination: string,
  manifest: Manifest,
  previous?: string,
): Promise<string> {
  const target = manifestPath(destination);
  const text = serializeManifest(manifest);
  if (text !== previous) await writeFileAtomic(target, text, 0o644);
  return target;
}
