// The emulator's bucket: keys, their versions and metadata, in memory.
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { crc64ReferenceDecimal } from './crc64-reference.js';

/** How an object is stored by `emulator.put`. */
export interface PutOptions {
  /** `STANDARD` (default), `STANDARD_IA`, `INTELLIGENT_TIERING`, `ARCHIVE`, `DEEP_ARCHIVE`, … */
  storageClass?: string;
  /** Default `application/octet-stream`. */
  contentType?: string;
  /** Default: the emulator's clock. Stored to the whole second, as HTTP dates carry no more. */
  lastModified?: Date;
  /** Send `x-cos-hash-crc64ecma` (default true; false = an old object without the header). */
  crc64?: boolean;
  /** ETag override, e.g. a multipart-style `"abc-3"`; quotes are added when missing. */
  etag?: string;
  /** User metadata, served as `x-cos-meta-<name>`. */
  metadata?: Record<string, string>;
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  /** SSE-C: base64 of a 32-byte AES-256 key; GET/HEAD must then present it. */
  sseCustomerKey?: string;
}

/** What the emulator holds for one version of a key. */
export interface StoredVersion {
  key: string;
  /** `'null'` for a version written while versioning was off (no `x-cos-version-id` header). */
  versionId: string;
  /** Quoted, as in the `ETag` header. */
  etag: string;
  size: number;
  lastModified: Date;
  /** Unsigned decimal CRC-64/XZ of the whole object (computed even when not sent). */
  crc64: string;
  storageClass: string;
  deleteMarker: boolean;
}

/** A stored version with its bytes and serving metadata. */
export interface ObjectVersion extends StoredVersion {
  readonly body: Uint8Array;
  readonly sendCrc64: boolean;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly cacheControl: string | undefined;
  readonly contentDisposition: string | undefined;
  readonly contentEncoding: string | undefined;
  /** SSE-C: the raw key bytes, base64, and base64 MD5 of the raw key. */
  readonly sseCustomerKey: string | undefined;
  readonly sseCustomerKeyMd5: string | undefined;
  /** The options it was put with, to re-put changed content (fault `etagChangeAfterRequests`). */
  readonly options: PutOptions;
}

export const NULL_VERSION = 'null';

/**
 * Objects generated from their key rather than stored: `count` keys `<prefix><n>` (n zero-padded,
 * so key order is number order) of `size` bytes each. A million keys cost no memory, so a mirror's
 * scale can be measured against the emulator.
 */
export interface SyntheticObjects {
  readonly prefix: string;
  readonly count: number;
  /** Bytes of each object (default 1024). */
  readonly size?: number;
}

/** UTF-8 byte order, the order COS lists keys in. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function quoteEtag(etag: string): string {
  return etag.startsWith('"') || etag.startsWith('W/"') ? etag : `"${etag}"`;
}

export function publicView(version: ObjectVersion): StoredVersion {
  return {
    key: version.key,
    versionId: version.versionId,
    etag: version.etag,
    size: version.size,
    lastModified: new Date(version.lastModified.getTime()),
    crc64: version.crc64,
    storageClass: version.storageClass,
    deleteMarker: version.deleteMarker,
  };
}

/** Validates an SSE-C key and returns its base64 MD5. */
function sseKeyMd5(key: string): string {
  const raw = Buffer.from(key, 'base64');
  if (raw.length !== 32 || raw.toString('base64') !== key) {
    throw new Error(`sseCustomerKey must be the base64 of 32 bytes (AES-256); got ${raw.length} bytes`);
  }
  return createHash('md5').update(raw).digest('base64');
}

export class Store {
  /** Versions per key, oldest first. */
  readonly #keys = new Map<string, ObjectVersion[]>();
  #sortedKeys: string[] | undefined;
  #versioning = false;
  #sequence = 0;
  readonly #now: () => number;
  readonly #synthetic: Synthetic | undefined;

  constructor(now: () => number, synthetic?: SyntheticObjects) {
    this.#now = now;
    this.#synthetic =
      synthetic === undefined
        ? undefined
        : new Synthetic(synthetic, new Date(Math.floor(now() / 1000) * 1000));
  }

  get versioning(): boolean {
    return this.#versioning;
  }

  setVersioning(enabled: boolean): void {
    this.#versioning = enabled;
  }

  #newVersionId(): string {
    // Shaped like COS's: base64 of a long decimal number, unpadded.
    this.#sequence += 1;
    const digits = `${this.#now()}${String(this.#sequence).padStart(6, '0')}${randomBytes(2).readUInt16BE(0)}`;
    return Buffer.from(digits).toString('base64').replace(/=+$/, '');
  }

  #secondsNow(): Date {
    return new Date(Math.floor(this.#now() / 1000) * 1000);
  }

  /** Appends a version: a new id when versioning is on, else it replaces the `null` version. */
  #append(key: string, version: ObjectVersion): void {
    const existing = this.#keys.get(key) ?? [];
    const kept = this.#versioning ? existing : existing.filter((v) => v.versionId !== NULL_VERSION);
    kept.push(version);
    if (!this.#keys.has(key)) this.#sortedKeys = undefined;
    this.#keys.set(key, kept);
  }

  put(key: string, body: Uint8Array | string, options: PutOptions = {}): ObjectVersion {
    if (key === '') throw new Error('an object key must not be empty');
    const bytes = typeof body === 'string' ? new Uint8Array(Buffer.from(body, 'utf8')) : new Uint8Array(body);
    const lastModified =
      options.lastModified === undefined
        ? this.#secondsNow()
        : new Date(Math.floor(options.lastModified.getTime() / 1000) * 1000);
    const sseCustomerKeyMd5 =
      options.sseCustomerKey === undefined ? undefined : sseKeyMd5(options.sseCustomerKey);
    const version: ObjectVersion = {
      key,
      versionId: this.#versioning ? this.#newVersionId() : NULL_VERSION,
      etag: quoteEtag(options.etag ?? createHash('md5').update(bytes).digest('hex')),
      size: bytes.length,
      lastModified,
      crc64: crc64ReferenceDecimal(bytes),
      storageClass: options.storageClass ?? 'STANDARD',
      deleteMarker: false,
      body: bytes,
      sendCrc64: options.crc64 ?? true,
      contentType: options.contentType ?? 'application/octet-stream',
      metadata: { ...options.metadata },
      cacheControl: options.cacheControl,
      contentDisposition: options.contentDisposition,
      contentEncoding: options.contentEncoding,
      sseCustomerKey: options.sseCustomerKey,
      sseCustomerKeyMd5,
      options: { ...options },
    };
    this.#append(key, version);
    return version;
  }

  /** A delete marker when versioning is on (or older versions exist), else removes the key. */
  remove(key: string): void {
    const others = (this.#keys.get(key) ?? []).filter((v) => v.versionId !== NULL_VERSION);
    if (!this.#versioning && others.length === 0) {
      this.#keys.delete(key);
      this.#sortedKeys = undefined;
      return;
    }
    const empty = new Uint8Array(0);
    this.#append(key, {
      key,
      versionId: this.#versioning ? this.#newVersionId() : NULL_VERSION,
      etag: '',
      size: 0,
      lastModified: this.#secondsNow(),
      crc64: '0',
      storageClass: 'STANDARD',
      deleteMarker: true,
      body: empty,
      sendCrc64: false,
      contentType: 'application/octet-stream',
      metadata: {},
      cacheControl: undefined,
      contentDisposition: undefined,
      contentEncoding: undefined,
      sseCustomerKey: undefined,
      sseCustomerKeyMd5: undefined,
      options: {},
    });
  }

  /** Newest first. */
  versions(key: string): ObjectVersion[] {
    const stored = this.#keys.get(key);
    if (stored !== undefined) return [...stored].reverse();
    const generated = this.#synthetic?.version(key);
    return generated === undefined ? [] : [generated];
  }

  latest(key: string): ObjectVersion | undefined {
    return this.#keys.get(key)?.at(-1) ?? this.#synthetic?.version(key);
  }

  version(key: string, versionId: string): ObjectVersion | undefined {
    const stored = this.#keys.get(key)?.find((v) => v.versionId === versionId);
    if (stored !== undefined || versionId !== NULL_VERSION) return stored;
    return this.#keys.has(key) ? undefined : this.#synthetic?.version(key);
  }

  /** Every key after `after` whose latest version is not a delete marker, in UTF-8 byte order. */
  *listable(after = ''): Generator<ObjectVersion> {
    if (this.#sortedKeys === undefined) this.#sortedKeys = [...this.#keys.keys()].sort(compareKeys);
    const sorted = this.#sortedKeys;
    // The first stored key past `after`, by binary search.
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareKeys(sorted[mid] as string, after) <= 0) low = mid + 1;
      else high = mid;
    }
    const generated = this.#synthetic?.keysAfter(after) ?? [][Symbol.iterator]();
    let next = generated.next();
    for (let i = low; i < sorted.length || !next.done; ) {
      const stored = sorted[i];
      if (stored !== undefined && (next.done || compareKeys(stored, next.value) <= 0)) {
        if (!next.done && stored === next.value) next = generated.next();
        i++;
        const latest = this.latest(stored);
        if (latest !== undefined && !latest.deleteMarker) yield latest;
      } else if (!next.done) {
        const version = this.#synthetic?.version(next.value);
        next = generated.next();
        if (version !== undefined) yield version;
      }
    }
  }
}

/** The generated objects of a SyntheticObjects spec. */
class Synthetic {
  readonly #spec: SyntheticObjects;
  readonly #width: number;
  readonly #size: number;
  readonly #lastModified: Date;

  constructor(spec: SyntheticObjects, lastModified: Date) {
    this.#spec = spec;
    this.#width = String(Math.max(spec.count - 1, 0)).length;
    this.#size = spec.size ?? 1024;
    this.#lastModified = lastModified;
  }

  #key(index: number): string {
    return `${this.#spec.prefix}${String(index).padStart(this.#width, '0')}`;
  }

  /** The keys after `after`, in order (found by binary search over the numbers). */
  *keysAfter(after: string): Generator<string> {
    let low = 0;
    let high = this.#spec.count;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareKeys(this.#key(mid), after) <= 0) low = mid + 1;
      else high = mid;
    }
    for (let i = low; i < this.#spec.count; i++) yield this.#key(i);
  }

  version(key: string): ObjectVersion | undefined {
    const number = key.startsWith(this.#spec.prefix) ? key.slice(this.#spec.prefix.length) : '';
    if (number.length !== this.#width || !/^\d+$/.test(number) || Number(number) >= this.#spec.count) {
      return undefined;
    }
    // The key's own bytes, repeated: the same on every run.
    const seed = createHash('sha256').update(key).digest();
    const body = new Uint8Array(this.#size);
    for (let at = 0; at < body.length; at += seed.length) body.set(seed.subarray(0, body.length - at), at);
    return {
      key,
      versionId: NULL_VERSION,
      etag: quoteEtag(createHash('md5').update(body).digest('hex')),
      size: body.length,
      lastModified: this.#lastModified,
      crc64: crc64ReferenceDecimal(body),
      storageClass: 'STANDARD',
      deleteMarker: false,
      body,
      sendCrc64: true,
      contentType: 'application/octet-stream',
      metadata: {},
      cacheControl: undefined,
      contentDisposition: undefined,
      contentEncoding: undefined,
      sseCustomerKey: undefined,
      sseCustomerKeyMd5: undefined,
      options: {},
    };
  }
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.txt': 'text/plain',
  '.md': 'text/markdown',
  '.html': 'text/html',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.tar': 'application/x-tar',
};

/**
 * Puts every file under `root` into the store: key = path relative to `root` with `/`
 * separators; an empty folder becomes a `dir/` marker object. Symbolic links are followed.
 */
export async function loadFolder(store: Store, root: string): Promise<number> {
  let count = 0;
  const walk = async (folder: string): Promise<void> => {
    const entries = await readdir(folder);
    if (entries.length === 0 && folder !== root) {
      store.put(`${relative(root, folder).split(sep).join('/')}/`, new Uint8Array(0), {
        contentType: 'application/x-directory',
      });
      count += 1;
    }
    for (const name of entries.sort()) {
      const path = join(folder, name);
      const info = await stat(path);
      if (info.isDirectory()) {
        await walk(path);
      } else if (info.isFile()) {
        store.put(relative(root, path).split(sep).join('/'), await readFile(path), {
          contentType: CONTENT_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream',
          lastModified: info.mtime,
        });
        count += 1;
      }
    }
  };
  await walk(root);
  return count;
}
