// The library's entry point: options in, a result out. No argv, no env, no @actions/core.
import { type Clock, type Logger, printable } from '../base/runtime.js';
import { type CacheOutcome, type CacheStore, cachedMirror } from '../cache/mirror-cache.js';
import { plainHttpWarning } from '../config/endpoint.js';
import { InputError } from '../config/errors.js';
import type { Options, PrefixTarget } from '../config/options.js';
import { type ClientDeps, CosClient } from '../cos/client.js';
import { type DownloadDeps, downloadObject, type ObjectDownloadResult } from '../transfer/download-object.js';
import { type MirrorRequest, type MirrorResult, mirrorPrefix } from '../transfer/mirror.js';

/** The Actions cache as the core uses it; the action implements it over `@actions/cache`. */
export type { CacheStore };

export interface RunDeps {
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
  /** Tuning of the HTTP client (retry delays, connections); tests shorten the backoff. */
  readonly client?: Omit<ClientDeps, 'logger' | 'clock'>;
  readonly onStart?: DownloadDeps['onStart'];
  readonly onBytes?: DownloadDeps['onBytes'];
  /** The Actions cache, for `cache: true` (the action provides it). */
  readonly cache?: CacheStore;
  /** How long to wait for another run writing the same destination (default 60 s). */
  readonly lockWaitMs?: number;
}

export interface ObjectRunResult {
  readonly kind: 'object';
  readonly object: ObjectDownloadResult;
  readonly dryRun: boolean;
}

export interface PrefixRunResult {
  readonly kind: 'prefix';
  readonly mirror: MirrorResult;
  readonly dryRun: boolean;
  /** With `cache: true`: whether the Actions cache held the mirror, and the key it is kept under. */
  readonly cache?: CacheOutcome;
}

export type RunResult = ObjectRunResult | PrefixRunResult;

export async function download(options: Options, deps: RunDeps = {}): Promise<RunResult> {
  const target = options.target;
  if (options.cache && deps.cache === undefined) {
    throw new InputError({
      input: 'cache',
      value: 'true',
      rule: 'needs the GitHub Actions cache, which only the action can reach',
      fix: "remove 'cache' (the mirror still skips unchanged files through its manifest), or run the action",
    });
  }
  // Keys, file names and lock fields come from others: every line is kept to one line of text.
  const logger = deps.logger === undefined ? undefined : printable(deps.logger);
  const client = new CosClient(options.connection, {
    ...deps.client,
    ...(logger ? { logger } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
    connections: Math.max(options.concurrency, 1),
  });
  // Said once per run, before the first request: plain http to another machine is readable on the way.
  const warning = plainHttpWarning(options.connection.endpoint);
  if (warning !== undefined) logger?.warning(warning);
  try {
    if (target.kind === 'prefix') {
      const request = mirrorRequestFor(options, target);
      if (options.cache && deps.cache !== undefined) {
        const cacheKey = options.cacheKey === undefined ? {} : { cacheKey: options.cacheKey };
        const cached = await cachedMirror(
          client,
          { ...request, ...cacheKey },
          deps.cache,
          progressDeps(deps),
        );
        return { kind: 'prefix', mirror: cached.mirror, dryRun: options.dryRun, cache: cached.cache };
      }
      const mirror = await mirrorPrefix(client, request, progressDeps(deps));
      return { kind: 'prefix', mirror, dryRun: options.dryRun };
    }
    const object = await downloadObject(
      client,
      {
        key: target.key,
        ...(target.versionId === undefined ? {} : { versionId: target.versionId }),
        ...(target.range === undefined ? {} : { range: target.range }),
        conditions: target.conditions,
        responseOverrides: target.responseOverrides,
        ...transferOptions(options),
      },
      progressDeps(deps),
    );
    return { kind: 'object', object, dryRun: options.dryRun };
  } finally {
    await client.close();
  }
}

/** The mirror a prefix target asks for. */
export function mirrorRequestFor(options: Options, target: PrefixTarget): MirrorRequest {
  return {
    prefix: target.prefix,
    include: target.include,
    exclude: target.exclude,
    delete: target.delete,
    allowEmpty: target.allowEmpty,
    ...(target.shard === undefined ? {} : { shard: target.shard }),
    ...transferOptions(options),
  };
}

/** The options an object download and a mirror share. */
function transferOptions(options: Options) {
  return {
    destination: options.destination,
    partSize: options.partSize,
    concurrency: options.concurrency,
    crc: options.crc,
    overwrite: options.overwrite,
    dryRun: options.dryRun,
    ...(options.trafficLimit === undefined ? {} : { trafficLimit: options.trafficLimit }),
    ...(options.sseCustomerKey === undefined ? {} : { sseCustomerKey: options.sseCustomerKey }),
  };
}

function progressDeps(deps: RunDeps) {
  return {
    ...(deps.signal ? { signal: deps.signal } : {}),
    ...(deps.onStart ? { onStart: deps.onStart } : {}),
    ...(deps.onBytes ? { onBytes: deps.onBytes } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.lockWaitMs === undefined ? {} : { lockWaitMs: deps.lockWaitMs }),
  };
}
