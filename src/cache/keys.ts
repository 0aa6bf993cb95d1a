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
  readonly cacheKey?: string;
  readonly scope: MirrorScope;
  /** The listed objects the mirror takes (already filtered to the scope). */
  readonly objects: readonly ListedObject[];
}

export function cacheKeys(input: CacheKeyInput): CacheKeys {
  const prefixHash = sha256(input.prefix).slice(0, 16);
  const restorePrefix = `cos-download-${input.bucket}-${prefixHash}-${input.cacheKey === undefined ? '' : `${input.cacheKey}-`}`;
  const exact = `${restorePrefix}${fingerprint(input)}`;
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
 * and the filters and shard that chose them. Listing order is COS's (sorted by key), so it is stable.
 */
export function fingerprint(input: CacheKeyInput): string {
  const hash = createHash('sha256');
  const { include, exclude, shard } = input.scope;
  hash.update(`${JSON.stringify([FINGERPRINT_FORMAT, input.prefix, include, exclude, shard ?? null])}\n`);
  for (const object of input.objects) {
    hash.update(`${JSON.stringify([object.key, object.etag, object.size, object.storageClass])}\n`);
  }
  return hash.digest('hex').slice(0, 40);
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
