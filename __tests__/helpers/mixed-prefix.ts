// A deterministic mixed prefix (small files, one object of exactly one part, multipart objects at
// the minimum part size) and the checks every fault or crash case ends with: the destination holds
// byte-identical files and a right manifest, or (after a failure) nothing half-written.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { STATE_DIR } from '../../src/base/state-name.js';
import { mulberry32 } from '../../src/emulator/faults.js';
import type { Emulator } from '../../src/emulator/index.js';
import { readCheckpoint } from '../../src/transfer/checkpoint.js';
import { manifestPath, mirrorFileState } from '../../src/transfer/state.js';

/** The manifest's path relative to a mirror's root. */
export const MANIFEST_FILE = `${STATE_DIR}/manifest.json`;

/** A path under `root` as `filesUnder` names it. */
function relativeTo(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

export const PART = 512 * 1024;

/** `length` bytes from a seeded generator: the same content on every run and machine. */
export function seededBytes(seed: number, length: number): Buffer {
  const random = mulberry32(seed);
  const words = new Uint32Array(Math.ceil(length / 4));
  for (let i = 0; i < words.length; i++) words[i] = Math.floor(random() * 2 ** 32);
  return Buffer.from(words.buffer, 0, length);
}

export interface MixedPrefix {
  readonly prefix: string;
  /** Key → content. */
  readonly objects: ReadonlyMap<string, Buffer>;
  readonly totalBytes: number;
  /** GET requests of one clean mirror: one per non-empty part. */
  readonly parts: number;
}

/**
 * `smallCount` small files (one empty) in nested folders, one object of exactly one part, and
 * multipart objects of the given part counts (the last part short). Sizes and bytes come from `seed`.
 */
export function mixedPrefix(
  prefix: string,
  seed: number,
  smallCount: number,
  multipartParts: readonly number[],
): MixedPrefix {
  const random = mulberry32(seed);
  const objects = new Map<string, Buffer>();
  for (let i = 0; i < smallCount; i++) {
    const folder = ['', 'docs/', 'docs/deep/', 'img/'][i % 4];
    const size = i === 0 ? 0 : 1 + Math.floor(random() * 48 * 1024);
    objects.set(`${prefix}${folder}small-${String(i).padStart(2, '0')}.bin`, seededBytes(seed + i + 1, size));
  }
  objects.set(`${prefix}edge/one-part.bin`, seededBytes(seed + 100, PART));
  multipartParts.forEach((count, i) => {
    const size = (count - 1) * PART + 1 + Math.floor(random() * (PART - 1));
    objects.set(`${prefix}big/multi-${i}.bin`, seededBytes(seed + 200 + i, size));
  });
  let totalBytes = 0;
  let parts = 0;
  for (const body of objects.values()) {
    totalBytes += body.length;
    parts += Math.ceil(body.length / PART);
  }
  return { prefix, objects, totalBytes, parts };
}

export function putAll(emulator: Emulator, fixture: MixedPrefix): void {
  for (const [key, body] of fixture.objects) emulator.put(key, body);
}

/** Every file under `folder`, relative and `/`-separated, sorted. */
export async function filesUnder(folder: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const r = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) await walk(path.join(dir, entry.name), r);
      else found.push(r);
    }
  };
  await walk(folder, '');
  return found.sort();
}

const md5 = (data: Uint8Array): string => `"${createHash('md5').update(data).digest('hex')}"`;

/**
 * What the bucket holds now for `key`: the original content, or (fault `etagChangeAfterRequests`)
 * its every-byte-inverted replacement.
 */
export function currentBody(emulator: Emulator, key: string, original: Buffer): Buffer {
  const latest = emulator.versions(key)[0];
  if (latest === undefined || latest.etag === md5(original)) return original;
  const inverted = original.map((byte) => byte ^ 0xff) as Buffer;
  expect(latest.etag).toBe(md5(inverted));
  return Buffer.from(inverted);
}

interface ManifestFile {
  readonly objects: ReadonlyArray<{
    key: string;
    etag: string;
    crc64?: string;
    size: number;
    path: string;
    'local-size': number;
  }>;
}

/**
 * A complete mirror: every object byte-identical, the manifest right, no temp or checkpoint left.
 * The manifest states each object's CRC-64, but for those `skipped` (found unchanged by comparing
 * their MD5 with a plain ETag) and empty ones (written without a GET): no response stated it.
 */
export async function expectComplete(
  emulator: Emulator,
  fixture: MixedPrefix,
  root: string,
  skipped: ReadonlySet<string> = new Set(),
): Promise<void> {
  const relative = (key: string): string => key.slice(fixture.prefix.length);
  expect(await filesUnder(root)).toEqual(
    [MANIFEST_FILE, ...[...fixture.objects.keys()].map(relative)].sort(),
  );
  for (const [key, original] of fixture.objects) {
    const local = await readFile(path.join(root, relative(key)));
    expect(Buffer.compare(local, currentBody(emulator, key, original)), key).toBe(0);
  }
  const manifest = JSON.parse(await readFile(manifestPath(root), 'utf8')) as ManifestFile;
  expect(manifest.objects.map((o) => o.key)).toEqual([...fixture.objects.keys()].sort());
  for (const entry of manifest.objects) {
    const latest = emulator.versions(entry.key)[0];
    expect(entry, entry.key).toMatchObject({
      etag: latest?.etag,
      ...((entry.size === 0 || skipped.has(entry.key)) && entry.crc64 === undefined
        ? {}
        : { crc64: latest?.crc64 }),
      size: latest?.size,
      path: relative(entry.key),
      'local-size': latest?.size,
    });
  }
}

/**
 * After a failed (or killed) mirror: each final path holds the whole object or nothing; other files
 * are only what the design keeps for a resume. After a failure: the temp file and a checkpoint that
 * vouches for parts, of multipart objects only. After a crash (`afterCrash`): also a temp file
 * without its checkpoint yet, a one-part object's temp file, and a checkpoint's or manifest's `.tmp`.
 * Every manifest entry describes a file that is there and right.
 */
export async function expectNothingHalfWritten(
  emulator: Emulator,
  fixture: MixedPrefix,
  root: string,
  partSize: number,
  { afterCrash = false } = {},
): Promise<{ complete: number; kept: number }> {
  const byPath = new Map([...fixture.objects.keys()].map((key) => [key.slice(fixture.prefix.length), key]));
  // The state folder names a file's temp file and checkpoint by a hash of its path.
  const stateOwner = new Map<string, { owner: string; kind: 'temp' | 'checkpoint' | 'checkpoint-tmp' }>();
  for (const file of byPath.keys()) {
    const state = mirrorFileState(root, file);
    stateOwner.set(relativeTo(root, state.temp), { owner: file, kind: 'temp' });
    stateOwner.set(relativeTo(root, state.checkpoint), { owner: file, kind: 'checkpoint' });
    stateOwner.set(`${relativeTo(root, state.checkpoint)}.tmp`, { owner: file, kind: 'checkpoint-tmp' });
  }
  const files = await filesUnder(root);
  let complete = 0;
  let kept = 0;
  for (const file of files) {
    if (file === MANIFEST_FILE) continue;
    // A killed run leaves the manifests it was writing (the next run starts them afresh).
    if (afterCrash && /^\.cos-download\/manifest(\.next|\.stale)?\.json(\.tmp)?$/.test(file)) continue;
    // A killed run leaves its lock (the next run takes it over), and maybe the lock's draft.
    if (afterCrash && /^\.cos-download\/mirror\.lock(\.[0-9a-f]+\.new)?$/.test(file)) continue;
    const key = byPath.get(file);
    if (key !== undefined) {
      const original = fixture.objects.get(key) as Buffer;
      const local = await readFile(path.join(root, file));
      expect(Buffer.compare(local, currentBody(emulator, key, original)), `${file} is whole`).toBe(0);
      complete++;
      continue;
    }
    const state = stateOwner.get(file);
    expect(state, `${file} is a temp or checkpoint file of a listed object`).toBeDefined();
    const { owner, kind } = state as { owner: string; kind: string };
    expect(afterCrash || kind !== 'checkpoint-tmp', `${file} is a checkpoint's .tmp after a failure`).toBe(
      true,
    );
    const ownerKey = byPath.get(owner) as string;
    const multipart = (fixture.objects.get(ownerKey) as Buffer).length > partSize;
    const tempFile = relativeTo(root, mirrorFileState(root, owner).temp);
    if (afterCrash) {
      // A kill between the rename and the checkpoint's removal leaves the checkpoint behind.
      if (kind === 'temp') {
        expect(files, `${owner} is not at its final path while its temp file is kept`).not.toContain(owner);
        kept++;
      } else {
        expect(multipart, `${file} belongs to a multipart object`).toBe(true);
      }
      continue;
    }
    expect(files, `${owner} is not at its final path while its temp file is kept`).not.toContain(owner);
    expect(multipart, `${file} belongs to a multipart object`).toBe(true);
    if (kind === 'checkpoint') {
      const saved = await readCheckpoint(mirrorFileState(root, owner).checkpoint);
      // Finished parts, or the first bytes of parts that were in flight.
      expect(
        saved === undefined || saved === 'corrupt' ? 0 : saved.parts.size + saved.partial.size,
        `${file} vouches for parts`,
      ).toBeGreaterThan(0);
      expect(files, `${file} has its temp file beside it`).toContain(tempFile);
      kept++;
    }
  }
  const manifest = JSON.parse(
    await readFile(manifestPath(root), 'utf8').catch(() => '{"objects":[]}'),
  ) as ManifestFile;
  for (const entry of manifest.objects) {
    expect(files, `the manifest lists ${entry.path}`).toContain(entry.path);
    expect(entry.etag).toBe(emulator.versions(entry.key)[0]?.etag);
  }
  return { complete, kept };
}
