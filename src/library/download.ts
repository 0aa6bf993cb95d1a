// downloadObject and mirrorPrefix: options checked by the CLI's parser, run by the core, results and
// errors in the library's terms.
import { download, type RunDeps } from '../core/download.js';
import { MirrorError } from '../transfer/mirror.js';
import { connectionDeps } from './connection.js';
import { MirrorPrefixError } from './errors.js';
import type { DownloadLinkOptions } from './links.js';
import {
  coreLogger,
  type DownloadObjectOptions,
  type MirrorPrefixOptions,
  parseLibraryOptions,
  type TransferOptions,
  withOptionErrors,
} from './options.js';
import { type DownloadObjectResult, type MirrorPrefixResult, mirrorResult, objectResult } from './results.js';

function depsOf(options: TransferOptions | DownloadLinkOptions): RunDeps {
  const onStart = options.onStart;
  return {
    ...connectionDeps(options),
    logger: coreLogger(options.logger),
    signal: options.signal,
    onStart:
      onStart === undefined
        ? undefined
        : (info, length, alreadyOnDisk) => onStart(info.key, length, alreadyOnDisk),
    onBytes: options.onBytes,
  };
}

/**
 * Downloads one object (or a byte range, or a given version) to a file.
 *
 * Objects larger than `partSize` come down as parallel ranged GETs into a temporary file beside the
 * destination, with a checkpoint, so a call after a crash or an abort fetches only the missing parts.
 * Every byte is checked against the object's CRC64 before the file is renamed into place; nothing
 * appears at `destination` until then. With `overwrite: 'changed'` (the default) a local file that
 * already matches the object is left alone without a GET.
 *
 * @example
 * ```ts
 * const result = await downloadObject({
 *   bucket: 'examplebucket-1250000000',
 *   region: 'ap-guangzhou',
 *   credentials: { secretId, secretKey },
 *   key: 'releases/app-1.4.2.tar.gz',
 *   destination: 'downloads/',
 * });
 * if (!result.notModified) console.log(result.path, result.crc64, result.contentLength);
 * ```
 *
 * A link instead of a key (`url`: a presigned URL, or any HTTPS URL of a server that honours ranges)
 * comes down the same way, with no bucket or credentials: see {@link DownloadLinkOptions}.
 *
 * @param options - The bucket, the key and how to download it; only `bucket` and `key` are required.
 * Or a `url` and how to download it.
 * @returns What was downloaded (the action's outputs, typed), or `notModified: true` after a 304.
 * @throws {@link OptionError} for a bad option, before any request.
 * @throws {@link CosError} when COS refuses (403, 404, 412, …), after the retries for transient failures.
 * @throws {@link IntegrityError} when the bytes do not match the object's CRC64 (no file is left behind).
 */
export async function downloadObject(
  options: DownloadObjectOptions | DownloadLinkOptions,
): Promise<DownloadObjectResult> {
  const parsed = parseLibraryOptions('downloadObject', options);
  const result = await withOptionErrors(options, () => download(parsed, depsOf(options)));
  if (result.kind !== 'object') throw new Error('downloadObject: the core answered a prefix mirror');
  const target = parsed.target;
  return objectResult(target.kind === 'link' ? target.name : (target as { key: string }).key, result.object);
}

/**
 * Mirrors every object under a prefix into a folder.
 *
 * Listing pages feed the downloads as they arrive; small objects and large objects' parts share one
 * budget of `concurrency` requests. A manifest in the destination records what was written, so the
 * next call downloads only what changed (with nothing changed, it makes listing requests only). Keys
 * that would land outside `destination` (`..`, absolute paths, …) are refused and reported in
 * `refused`, never written.
 *
 * @example
 * ```ts
 * const mirror = await mirrorPrefix({
 *   bucket: 'examplebucket-1250000000',
 *   region: 'ap-guangzhou',
 *   prefix: 'build-cache/linux-x64/',
 *   destination: '.cache/build',
 *   exclude: ['**\/*.tmp'],
 * });
 * console.log(`${mirror.filesDownloaded} new, ${mirror.filesSkipped} unchanged`);
 * ```
 *
 * @param options - The bucket, the prefix and how to mirror it; only `bucket` and `prefix` are required.
 * @returns The action's outputs, typed, and every file's fate.
 * @throws {@link OptionError} for a bad option, before any request.
 * @throws {@link MirrorPrefixError} when the listing or some downloads failed; its `result` tells what was done.
 */
export async function mirrorPrefix(options: MirrorPrefixOptions): Promise<MirrorPrefixResult> {
  const parsed = parseLibraryOptions('mirrorPrefix', options);
  let result: Awaited<ReturnType<typeof download>>;
  try {
    result = await withOptionErrors(options, () => download(parsed, depsOf(options)));
  } catch (error: unknown) {
    if (error instanceof MirrorError) {
      throw new MirrorPrefixError(error.message, mirrorResult(error.result, parsed.dryRun), error.cause);
    }
    throw error;
  }
  if (result.kind !== 'prefix') throw new Error('mirrorPrefix: the core answered a single object');
  return mirrorResult(result.mirror, result.dryRun);
}
