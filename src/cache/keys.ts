// Cache keys for a mirror: a stable name for the prefix, and a fingerprint of what the listing holds,
// so an unchanged prefix finds its exact entry and a changed one the newest entry of the same prefix.
import { createHash } from 'node:crypto';
import { InputError } from '../config/errors.js';
import type { ListedObject } from '../cos/list.js';
import type { MirrorScope } from '../transfer/mirror-scope.js';

/** The Actions cache refuses longer keys. */
export const MAX_CACHE_KEY_LENGTH = 512;
const FINGERPRINT_FORMAT = 'cos-download-fingerprint/1';

export interface CacheKeys {
  /** `cos-download-<bucket>-<prefix hash>[-<cache-key>]-<fingerprint>`: this exact listing. */
  readonly exact: string;
  /** The same without the fingerprint, ending in '-': any earlier listing of the same prefix. */
  readonly restorePrefix: string;
}

export interface CacheKeyInput {
  readonly bucket: string;
  /** The folder prefix as listed ('' or ending in '/'). */
  readonly prefix: string;
  readonly cacheKey?: string | undefined;
  /** `Fingerprint.digest()` of the listing. */
  readonly fingerprint: string;
}

export function cacheKeys(input: CacheKeyInput): CacheKeys {
  const prefixHash = sha256(input.prefix).slice(0, 16);
  const restorePrefix = `cos-download-${input.bucket}-${prefixHash}-${input.cacheKey === undefined ? '' : `${input.cacheKey}-`}`;
  const exact = `${restorePrefix}${input.fingerprint}`;
  if (exact.length > MAX_CACHE_KEY_LENGTH) {
    throw new InputError({
      input: 'cache-key',
      value: input.cacheKey ?? '',
      rule: `makes the cache key ${exact.length} characters long; the Actions cache takes at most ${MAX_CACHE_KEY_LENGTH}`,
      fix: 'use a shorter cache-key',
    });
  }
  return { exact, restorePrefix };
}

/**
 * A hash of everything the mirrored files depend on: each key with its ETag, size and storage class,
 * and the filters and shard that chose them, taken as the listing goes by (COS lists in key order,
 * so it is stable), without holding the listing.
 */
export class Fingerprint {
  readonly #hash = createHash('sha256');

  constructor(prefix: string, scope: MirrorScope) {
    const { include, exclude, shard } = scope;
    this.#hash.update(`${JSON.stringify([FINGERPRINT_FORMAT, prefix, include, exclude, shard ?? null])}\n`);
  }

  /** One listed object the mirror takes (in scope). */
  add(object: ListedObject): void {
    this.#hash.update(`${JSON.stringify([object.key, object.etag, object.size, object.storageClass])}\n`);
  }

  digest(): string {
    return this.#hash.digest('hex').slice(0, 40);
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
