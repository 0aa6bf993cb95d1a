// The library's entry point: options in, a result out. No argv, no env, no @actions/core.
import type { Options } from '../config/options.js';
import { type ClientDeps, CosClient } from '../cos/client.js';
import { type DownloadDeps, downloadObject, type ObjectDownloadResult } from '../transfer/download-object.js';
import type { Clock, Logger } from './runtime.js';

export interface RunDeps {
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
  /** Tuning of the HTTP client (retry delays, connections); tests shorten the backoff. */
  readonly client?: Omit<ClientDeps, 'logger' | 'clock'>;
  readonly onStart?: DownloadDeps['onStart'];
  readonly onBytes?: DownloadDeps['onBytes'];
}

export interface ObjectRunResult {
  readonly kind: 'object';
  readonly object: ObjectDownloadResult;
}

export type RunResult = ObjectRunResult;

export async function download(options: Options, deps: RunDeps = {}): Promise<RunResult> {
  const target = options.target;
  if (target.kind === 'prefix') {
    throw new Error(
      'prefix mirroring is not available in this version yet; download objects one key at a time',
    );
  }
  const client = new CosClient(options.connection, {
    ...deps.client,
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
    connections: Math.max(options.concurrency, 1),
  });
  try {
    const object = await downloadObject(
      client,
      {
        key: target.key,
        ...(target.versionId === undefined ? {} : { versionId: target.versionId }),
        ...(target.range === undefined ? {} : { range: target.range }),
        conditions: target.conditions,
        responseOverrides: target.responseOverrides,
        destination: options.destination,
        partSize: options.partSize,
        concurrency: options.concurrency,
        crc: options.crc,
        overwrite: options.overwrite,
        ...(options.trafficLimit === undefined ? {} : { trafficLimit: options.trafficLimit }),
        ...(options.sseCustomerKey === undefined ? {} : { sseCustomerKey: options.sseCustomerKey }),
      },
      {
        ...(deps.signal ? { signal: deps.signal } : {}),
        ...(deps.onStart ? { onStart: deps.onStart } : {}),
        ...(deps.onBytes ? { onBytes: deps.onBytes } : {}),
      },
    );
    return { kind: 'object', object };
  } finally {
    await client.close();
  }
}
