// Generated objects for the neutral-server benchmarks: random bytes in files under a root folder
// (the key is the path relative to it), each with the identity COS would give it — a quoted hex MD5
// ETag (single PUT), the decimal CRC-64/XZ of the whole object (computed with crc64-ecma182.js, the
// package Tencent's SDK uses, not with our own code) and a fixed Last-Modified set as the file's mtime,
// so nginx's Last-Modified header and the listing pages agree.
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, openSync, utimesSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ServedObject } from './nginx.js';

const { crc64 } = createRequire(import.meta.url)('crc64-ecma182.js') as {
  crc64(data: Buffer, previous?: string): string;
};

/** Every object's Last-Modified (whole seconds: HTTP dates have no fraction). */
export const CORPUS_MTIME = new Date('2025-01-02T03:04:05.000Z');

/** crc64-ecma182.js's WebAssembly heap is 16 MiB: feed it 4 MiB at a time. */
const CHUNK = 4 * 2 ** 20;

/** Writes `size` random bytes to root/key and returns the object as the server will describe it. */
export function writeObject(
  root: string,
  key: string,
  size: number,
): ServedObject & { readonly file: string } {
  const file = join(root, key);
  mkdirSync(dirname(file), { recursive: true });
  const md5 = createHash('md5');
  let crc = '0';
  const chunk = Buffer.alloc(Math.min(CHUNK, Math.max(size, 1)));
  const fd = openSync(file, 'wx');
  try {
    for (let left = size; left > 0; left -= chunk.length) {
      const piece = chunk.subarray(0, Math.min(chunk.length, left));
      randomFillSync(piece);
      md5.update(piece);
      crc = crc64(piece, crc);
      writeSync(fd, piece);
    }
  } finally {
    closeSync(fd);
  }
  utimesSync(file, CORPUS_MTIME, CORPUS_MTIME);
  return { key, file, size, etag: `"${md5.digest('hex')}"`, crc64: crc, lastModified: CORPUS_MTIME };
}
