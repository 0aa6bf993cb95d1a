// The checkpoint of a multipart download: which object version the temp file holds bytes of, which
// parts are finished (with their CRCs), and how far the parts in flight had come when the run
// stopped (their first bytes, with the CRC of those). (De)serialisation is pure; the file is written
// atomically (temp + fsync + rename) and only after the bytes it vouches for were flushed. A resume
// reads every part it lists back from the temp file and checks its CRC before trusting it.
// It never holds a secret: no credentials, no signed URL, no SSE-C key.
import { lstat, rm } from 'node:fs/promises';
import type { ObjectInfo } from '../cos/object.js';
import type { Window } from './plan.js';
import { readOwnFile } from './state.js';
import { writeFileAtomic } from './temp-file.js';

/** A finished part's entry when `crc: false` computed no CRC for it. */
export const UNCHECKED = '-';

export const CHECKPOINT_FORMAT = 'cos-download-checkpoint/2';

/** What a checkpoint must match to be trusted. */
export interface CheckpointIdentity {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string | undefined;
  readonly etag: string;
  readonly size: number;
  readonly lastModified: string;
  readonly crc64?: string | undefined;
  readonly window: Window;
  readonly partSize: number;
}

export interface Checkpoint extends CheckpointIdentity {
  /**
   * The inode of the temp file this checkpoint was written for: a temp file and checkpoint planted
   * together (say, committed in a pull request) never match, as no one can choose an inode.
   */
  readonly tempIno: number;
  /** Finished part index → decimal CRC-64 of that part's bytes. */
  readonly parts: ReadonlyMap<number, string>;
  /** Unfinished part index → how many of its first bytes are in the temp file, and their CRC-64. */
  readonly partial: ReadonlyMap<number, PartialPart>;
}

/** The first `bytes` of a part (fewer than all), and the decimal CRC-64 of them (or UNCHECKED). */
export interface PartialPart {
  readonly bytes: number;
  readonly crc: string;
}

export function identityOf(
  bucket: string,
  info: ObjectInfo,
  window: Window,
  partSize: number,
): CheckpointIdentity {
  return {
    bucket,
    key: info.key,
    versionId: info.versionId,
    etag: info.etag,
    size: info.size,
    lastModified: info.lastModified,
    crc64: info.crc64,
    window,
    partSize,
  };
}

export function serializeCheckpoint(checkpoint: Checkpoint): string {
  const parts: Record<string, string> = {};
  for (const index of [...checkpoint.parts.keys()].sort((a, b) => a - b)) {
    parts[String(index)] = checkpoint.parts.get(index) as string;
  }
  const partial: Record<string, PartialPart> = {};
  for (const index of [...checkpoint.partial.keys()].sort((a, b) => a - b)) {
    const { bytes, crc } = checkpoint.partial.get(index) as PartialPart;
    partial[String(index)] = { bytes, crc };
  }
  return `${JSON.stringify(
    {
      format: CHECKPOINT_FORMAT,
      bucket: checkpoint.bucket,
      key: checkpoint.key,
      versionId: checkpoint.versionId ?? null,
      etag: checkpoint.etag,
      size: checkpoint.size,
      lastModified: checkpoint.lastModified,
      crc64: checkpoint.crc64 ?? null,
      window: checkpoint.window,
      partSize: checkpoint.partSize,
      tempIno: checkpoint.tempIno,
      parts,
      partial,
    },
    null,
    2,
  )}\n`;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isText = (v: unknown): v is string => typeof v === 'string';

/** Parses JSON text that must be an object; undefined for anything else. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof data === 'object' && data !== null && !Array.isArray(data)
    ? (data as Record<string, unknown>)
    : undefined;
}

/** Parses a checkpoint; undefined for anything that is not exactly our format. */
export function parseCheckpoint(text: string): Checkpoint | undefined {
  const d = parseJsonObject(text);
  if (d === undefined) return undefined;
  const window = d.window as Record<string, unknown> | null | undefined;
  if (
    d.format !== CHECKPOINT_FORMAT ||
    !isText(d.bucket) ||
    !isText(d.key) ||
    !(d.versionId === null || isText(d.versionId)) ||
    !isText(d.etag) ||
    !isCount(d.size) ||
    !isText(d.lastModified) ||
    !(d.crc64 === null || isText(d.crc64)) ||
    typeof window !== 'object' ||
    window === null ||
    !isCount(window.first) ||
    !isCount(window.length) ||
    !isCount(d.partSize) ||
    d.partSize === 0 ||
    !isCount(d.tempIno) ||
    typeof d.parts !== 'object' ||
    d.parts === null
  ) {
    return undefined;
  }
  const partCount = Math.ceil(window.length / d.partSize);
  const parts = new Map<number, string>();
  for (const [index, crc] of Object.entries(d.parts as Record<string, unknown>)) {
    const n = Number(index);
    if (!/^\d+$/.test(index) || n >= partCount || !isCrcText(crc)) return undefined;
    parts.set(n, crc);
  }
  const partial = parsePartial(d.partial, window.length, d.partSize, parts);
  if (partial === undefined) return undefined;
  return {
    bucket: d.bucket,
    key: d.key,
    versionId: d.versionId ?? undefined,
    etag: d.etag,
    size: d.size,
    lastModified: d.lastModified,
    crc64: d.crc64 ?? undefined,
    window: { first: window.first, length: window.length },
    partSize: d.partSize,
    tempIno: d.tempIno,
    parts,
    partial,
  };
}

const isCrcText = (v: unknown): v is string => isText(v) && (v === UNCHECKED || /^\d{1,20}$/.test(v));

/** The `partial` field (absent in older checkpoints: none); undefined when any entry is not a prefix of an unfinished part. */
function parsePartial(
  value: unknown,
  length: number,
  partSize: number,
  finished: ReadonlyMap<number, string>,
): Map<number, PartialPart> | undefined {
  const partial = new Map<number, PartialPart>();
  if (value === undefined) return partial;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const partCount = Math.ceil(length / partSize);
  for (const [index, entry] of Object.entries(value as Record<string, unknown>)) {
    const n = Number(index);
    if (!/^\d+$/.test(index) || n >= partCount || finished.has(n)) return undefined;
    if (typeof entry !== 'object' || entry === null) return undefined;
    const { bytes, crc } = entry as Record<string, unknown>;
    const partLength = Math.min(partSize, length - n * partSize);
    if (!isCount(bytes) || bytes === 0 || bytes >= partLength || !isCrcText(crc)) return undefined;
    partial.set(n, { bytes, crc });
  }
  return partial;
}

/** Why a checkpoint cannot be used for `wanted`; undefined when it can. */
export function mismatch(saved: CheckpointIdentity, wanted: CheckpointIdentity): string | undefined {
  if (saved.bucket !== wanted.bucket || saved.key !== wanted.key) return 'it is for another object';
  if (
    saved.etag !== wanted.etag ||
    saved.size !== wanted.size ||
    saved.lastModified !== wanted.lastModified
  ) {
    return `the object changed since (ETag ${saved.etag} → ${wanted.etag})`;
  }
  if ((saved.versionId ?? '') !== (wanted.versionId ?? '')) return 'it is for another version';
  if ((saved.crc64 ?? '') !== (wanted.crc64 ?? '')) return 'the object’s CRC64 changed since';
  if (saved.window.first !== wanted.window.first || saved.window.length !== wanted.window.length) {
    return 'it is for another byte range';
  }
  if (saved.partSize !== wanted.partSize)
    return `the part size changed (${saved.partSize} → ${wanted.partSize})`;
  return undefined;
}

/** Reads a checkpoint file (never through a link); undefined when absent, `'corrupt'` when unreadable. */
export async function readCheckpoint(filePath: string): Promise<Checkpoint | 'corrupt' | undefined> {
  const read = await readOwnFile(filePath);
  if (read.kind === 'absent') return undefined;
  if (read.kind === 'unreadable') return 'corrupt';
  return parseCheckpoint(read.text) ?? 'corrupt';
}

/** Writes the checkpoint atomically: a sibling temp file (fsynced when `durable`), rename. */
export async function writeCheckpoint(
  filePath: string,
  checkpoint: Checkpoint,
  durable: boolean,
): Promise<void> {
  await writeFileAtomic(filePath, serializeCheckpoint(checkpoint), 0o600, durable);
}

export async function removeCheckpoint(filePath: string): Promise<void> {
  await rm(filePath, { force: true });
  await rm(`${filePath}.tmp`, { force: true });
}

/** Size of a regular file (not a link), or undefined when there is none. */
export async function fileSize(filePath: string): Promise<number | undefined> {
  const info = await lstat(filePath).catch(() => undefined);
  return info?.isFile() ? info.size : undefined;
}
