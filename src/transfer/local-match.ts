// Does a local file already hold an object's bytes? Used to skip unchanged files without a GET.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ObjectInfo } from '../cos/object.js';
import { Crc64, parseCrc64 } from './crc64.js';
import type { ObjectAtPath } from './object-result.js';
import type { TransferSettings } from './settings.js';

/** A plain (single-PUT) ETag is the quoted hex MD5 of the body; multipart ETags carry `-N`. */
export function plainMd5Etag(etag: string): string | undefined {
  const match = /^"?([0-9a-f]{32})"?$/i.exec(etag);
  return match?.[1]?.toLowerCase();
}

/**
 * True when the file at `filePath` (of `size` bytes) has the object's content: same size, then the
 * object's CRC-64 if COS has one, else the MD5 of a plain ETag. False when neither can be compared.
 */
export async function localFileMatches(filePath: string, size: number, info: ObjectInfo): Promise<boolean> {
  if (size !== info.size) return false;
  const expectedCrc = info.crc64 === undefined ? undefined : parseCrc64(info.crc64);
  if (expectedCrc !== undefined) {
    const crc = new Crc64();
    for await (const chunk of createReadStream(filePath, { highWaterMark: 1024 * 1024 })) {
      crc.update(chunk as Buffer);
    }
    return crc.digest() === expectedCrc;
  }
  const md5 = plainMd5Etag(info.etag);
  if (md5 === undefined) return false;
  const hash = createHash('md5');
  for await (const chunk of createReadStream(filePath, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex') === md5;
}

/** Why the destination needs no download (it exists and `overwrite` says keep, or it matches); else undefined. */
export async function skipReason(
  destination: string,
  settings: TransferSettings,
  info: ObjectInfo,
  whole: boolean,
): Promise<string | undefined> {
  if (settings.overwrite === 'always' || !whole) return undefined;
  const existing = await stat(destination).catch(() => undefined);
  if (!existing?.isFile()) return undefined;
  if (settings.overwrite === 'never') return 'the file exists and overwrite is never';
  if (await localFileMatches(destination, existing.size, info)) return 'the local file matches the object';
  return undefined;
}

/** The result for a destination left as it is. */
export function skipped(destination: string, info: ObjectInfo, reason: string): ObjectAtPath {
  return {
    status: 'skipped',
    path: destination,
    info,
    length: info.size,
    bytesDownloaded: 0,
    crcCheck: 'verified',
    reason,
  };
}
