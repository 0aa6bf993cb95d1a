// The library's entry point: options in, a result out. No argv, no env, no @actions/core.

import { availableParallelism } from 'node:os';
import { type Clock, type Logger, printable } from '../base/runtime.js';
import { type CacheOutcome, type CacheStore, cachedMirror } from '../cache/mirror-cache.js';
import { plainHttpWarning } from '../config/endpoint.js';
import { InputError } from '../config/errors.js';
import type { Concurrency, LinkTarget, Options, PrefixTarget } from '../config/options.js';
import { type ClientDeps, CosClient } from '../cos/client.js';
import { LinkClient } from '../cos/link.js';
import { downloadLink } from '../transfer/download-link.js';
import { downloadObject } from '../transfer/download-object.js';
import { type MirrorRequest, type MirrorResult, mirrorPrefix } from '../transfer/mirror.js';
import type { ObjectDownloadResult } from '../transfer/object-result.js';
import {
  type ProgressListener,
  type TransferDeps,
  type TransferSettings,
  transferDeps,
} from '../transfer/settings.js';
import { type NetworkDeps, openNetwork } from './network.js';

/** The Actions cache as the core uses it; the action implements it over `@actions/cache`. */
export type { CacheStore };

export interface RunDeps {
  readonly logger?: Logger | undefined;
  readonly clock?: Clock | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Tuning of the HTTP client (retry delays, connections); tests shorten the backoff. */
  readonly client?: Omit<ClientDeps, 'logger' | 'clock'> | undefined;
  readonly onStart?: ProgressListener['onStart'] | undefined;
  readonly onBytes?: ProgressListener['onBytes'] | undefined;
  /** The Actions cache, for `cache: true` (the action provides it). */
  readonly cache?: CacheStore | undefined;
  /** How long to wait for another run writing the same destination (default 60 s). */
  readonly lockWaitMs?: number | undefined;
  /** Proxy settings for COS and STS, from `proxySettingsFrom(env)` at the edge; absent: direct. */
  readonly proxy?: NetworkDeps['proxy'] | undefined;
  /** With `options.keyless`: a fresh OIDC token at every call (the action's GitHub token, a token file). */
  readonly webIdentityToken?: NetworkDeps['webIdentityToken'] | undefined;
  /** Registers a secret the run learns (OIDC token, temporary credentials) with the log masker. */
  readonly mask?: NetworkDeps['mask'] | undefined;
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
  readonly cache?: CacheOutcome | undefined;
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
  if (target.kind === 'link')
    return {
      kind: 'object',
      object: await downloadFromLink(options, target, deps, logger),
      dryRun: options.dryRun,
    };
  const network = openNetwork(options, { ...deps, logger });
  let client: CosClient;
  try {
    client = new CosClient(options.connection, {
      // The caller's tuning (tests' transport and backoff) wins over the run's network.
      ...deps.client,
      transport: deps.client?.transport ?? network.client.transport,
      credentials: deps.client?.credentials ?? network.client.credentials,
      logger,
      clock: deps.clock,
      connections: concurrencyFor(options.concurrency).objects,
    });
  } catch (error: unknown) {
    await network.close();
    throw error;
  }
  // Said once per run, before the first request: plain http to another machine is readable on the way.
  const warning = plainHttpWarning(options.connection.endpoint);
  if (warning !== undefined) logger?.warning(warning);
  const settings = transferSettings(options);
  const engine = engineDeps(deps, logger);
  try {
    if (target.kind === 'prefix') {
      const request = mirrorRequestFor(options, target);
      if (options.cache && deps.cache !== undefined) {
        const cached = await cachedMirror(
          client,
          { ...request, cacheKey: options.cacheKey },
          settings,
          deps.cache,
          engine,
        );
        return { kind: 'prefix', mirror: cached.mirror, dryRun: options.dryRun, cache: cached.cache };
      }
      const mirror = await mirrorPrefix(client, request, settings, engine);
      return { kind: 'prefix', mirror, dryRun: options.dryRun };
    }
    const object = await downloadObject(
      client,
      {
        key: target.key,
        versionId: target.versionId,
        range: target.range,
        conditions: target.conditions,
        responseOverrides: target.responseOverrides,
        destination: options.destination,
      },
      settings,
      engine,
    );
    return { kind: 'object', object, dryRun: options.dryRun };
  } finally {
    await client.close();
    await network.close();
  }
}

/** A link: no bucket, no credentials, its own client; the same engine as a key. */
async function downloadFromLink(
  options: Options,
  target: LinkTarget,
  deps: RunDeps,
  logger: Logger | undefined,
): Promise<ObjectDownloadResult> {
  const { credentials: _unused, ...tuning } = deps.client ?? {};
  const client = new LinkClient(
    { url: target.url, retries: options.connection.retries, timeoutMs: options.connection.timeoutMs },
    {
      // As for a key: the caller's tuning (tests' transport and backoff) wins.
      ...tuning,
      transport: tuning.transport ?? { proxy: deps.proxy, extraCa: options.caCert },
      logger,
      clock: deps.clock,
      connections: concurrencyFor(options.concurrency).objects,
    },
  );
  const warning = plainHttpWarning(options.connection.endpoint);
  if (warning !== undefined) logger?.warning(warning);
  try {
    return await downloadLink(
      client,
      { conditions: target.conditions, destination: options.destination },
      transferSettings(options),
      engineDeps(deps, logger),
    );
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
    shard: target.shard,
    delete: target.delete,
    allowEmpty: target.allowEmpty,
    destination: options.destination,
  };
}

/**
 * Requests in flight: for small objects (one GET each, bound by round trips and per-file work) and
 * for a large object's parts (bound by bandwidth and CPU). `auto` sizes both from the CPU count —
 * 16 a core for objects (32..64) and 4 a core for parts (8..32); a number is both.
 */
export function concurrencyFor(
  concurrency: Concurrency,
  cores = availableParallelism(),
): { readonly objects: number; readonly parts: number } {
  if (concurrency !== 'auto') return { objects: concurrency, parts: concurrency };
  const clamp = (n: number, min: number, max: number) => Math.min(max, Math.max(min, n));
  return { objects: clamp(16 * cores, 32, 64), parts: clamp(4 * cores, 8, 32) };
}

/** What every transfer of the run shares, built once. */
export function transferSettings(options: Options): TransferSettings {
  const budget = concurrencyFor(options.concurrency);
  return Object.freeze({
    partSize: options.partSize,
    concurrency: budget.objects,
    partConcurrency: budget.parts,
    crc: options.crc,
    fsync: options.fsync,
    overwrite: options.overwrite,
    dryRun: options.dryRun,
    trafficLimit: options.trafficLimit,
    sseCustomerKey: options.sseCustomerKey,
  });
}

function engineDeps(deps: RunDeps, logger: Logger | undefined): TransferDeps {
  return transferDeps({
    logger,
    clock: deps.clock,
    signal: deps.signal,
    progress: { onStart: deps.onStart, onBytes: deps.onBytes },
    lockWaitMs: deps.lockWaitMs,
  });
}
