// Which listed keys a mirror takes: under the folder prefix, past the include/exclude globs, in
// this job's shard. Pure.
import { createHash } from 'node:crypto';
import picomatch from 'picomatch';
import type { Shard } from '../base/request.js';
import { relativeKey } from './paths.js';

/** The filters and shard of a mirror request. */
export interface MirrorScope {
  /** '' (whole bucket) or a folder prefix; see `folderPrefix`. */
  readonly prefix: string;
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly shard?: Shard | undefined;
}

/** The shard (1-based) a key belongs to: a stable hash, the same on every runner and run. */
export function shardOf(key: string, count: number): number {
  const digest = createHash('sha1').update(key, 'utf8').digest();
  return (digest.readUInt32BE(0) % count) + 1;
}

/** `prefix` as listed: '' for the whole bucket, else with a trailing '/' (folder semantics). */
export function folderPrefix(prefix: string): string {
  if (prefix === '' || prefix === '/') return '';
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** The globs and shard as one predicate on a key (`relative` is the key relative to the prefix). */
export function keyFilter(scope: MirrorScope): (relative: string, key: string) => boolean {
  const options = { dot: true };
  const include = scope.include.length === 0 ? () => true : picomatch([...scope.include], options);
  const exclude = scope.exclude.length === 0 ? () => false : picomatch([...scope.exclude], options);
  const shard = scope.shard;
  return (relative, key) =>
    include(relative) &&
    !exclude(relative) &&
    (shard === undefined || shardOf(key, shard.count) === shard.index);
}

/** True for the listed keys a request mirrors: under the folder prefix, past the filters, in the shard. */
export function inMirrorScope(scope: MirrorScope): (key: string) => boolean {
  const prefix = folderPrefix(scope.prefix);
  const inScope = keyFilter(scope);
  return (key) => {
    const relative = relativeKey(key, prefix);
    return relative !== undefined && relative !== '' && inScope(relative, key);
  };
}
