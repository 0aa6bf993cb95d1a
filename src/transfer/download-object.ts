// One object (or a byte range of it) to one file: HEAD for its identity, parts fetched by a bounded
// pool into a temp file, CRC-64 combined from the parts, then fsync + rename. Nothing reaches the
// destination before the bytes are verified.
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import type { ByteRange, Conditions, Overwrite, ResponseOverrides } from '../config/options.js';
import type { CosClient } from '../cos/client.js';
import { CosError } from '../cos/errors.js';
import { headObject, type ObjectAccess, type ObjectInfo } from '../cos/object.js';
import { crc64Combine, formatCrc64, parseCrc64 } from './crc64.js';
import { fetchPart } from './fetch-part.js';
import { localFileMatches } from './local-match.js';
import { formatRange, type Part, planParts, rangeWindow } from './plan.js';
import { TempFile, tempPathFor } from './temp-file.js';

export interface ObjectDownload {
  readonly key: string;
  readonly versionId?: string;
  readonly range?: ByteRange;
  readonly conditions: Conditions;
  readonly responseOverrides: ResponseOverrides;
  /** Absolute path of the file to write. */
  readonly destination: string;
  readonly partSize: number;
  readonly concurrency: number;
  readonly crc: boolean;
  readonly overwrite: Overwrite;
  readonly trafficLimit?: number;
  readonly sseCustomerKey?: string;
}

export interface DownloadDeps {
  readonly signal?: AbortSignal;
  /** Called with each chunk's size as bytes land in the temp file. */
  readonly onBytes?: (count: number) => void;
  /** Called once the object's size is known, with the bytes this download will fetch. */
  readonly onStart?: (info: ObjectInfo, length: number) => void;
}

/** How the written bytes were checked. */
export type CrcCheck = 'verified' | 'disabled' | 'no-crc-header' | 'partial-range';

export type ObjectDownloadResult =
  | { readonly status: 'not-modified'; readonly path: string }
  | {
      readonly status: 'downloaded' | 'skipped';
      readonly path: string;
      readonly info: ObjectInfo;
      /** Bytes written to `path` (the range length for a range). */
      readonly length: number;
      /** Bytes fetched from COS by this run. */
      readonly bytesDownloaded: number;
      readonly crcCheck: CrcCheck;
      /** Why a file was skipped. */
      readonly reason?: string;
    };

export class IntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntegrityError';
  }
}

export async function downloadObject(
  client: CosClient,
  request: ObjectDownload,
  deps: DownloadDeps = {},
): Promise<ObjectDownloadResult> {
  const access: ObjectAccess = {
    ...(request.versionId === undefined ? {} : { versionId: request.versionId }),
    ...(request.sseCustomerKey === undefined ? {} : { sseCustomerKey: request.sseCustomerKey }),
    ...(request.trafficLimit === undefined ? {} : { trafficLimit: request.trafficLimit }),
  };
  const head = await headWithReason(client, request, access, deps.signal);
  if (head.kind === 'not-modified') return { status: 'not-modified', path: request.destination };
  const info = head.info;

  const window = rangeWindow(request.range, info.size);
  if (window === undefined) {
    throw new CosError(
      {
        status: 416,
        code: 'InvalidRange',
        message: `range ${formatRange(request.range as ByteRange)} is beyond the object's ${info.size} bytes`,
      },
      `GET '${request.key}'`,
    );
  }
  const whole = window.first === 0 && window.length === info.size;

  if (request.overwrite !== 'always' && whole) {
    const existing = await stat(request.destination).catch(() => undefined);
    if (existing?.isFile()) {
      if (request.overwrite === 'never') {
        return skipped(request.destination, info, 'the file exists and overwrite is never');
      }
      if (await localFileMatches(request.destination, existing.size, info)) {
        return skipped(request.destination, info, 'the local file matches the object');
      }
    }
  }

  deps.onStart?.(info, window.length);
  await mkdir(path.dirname(request.destination), { recursive: true });
  const temp = await TempFile.create(tempPathFor(request.destination), window.length);
  try {
    const parts = planParts(window, request.partSize);
    const crcs = await fetchParts(client, request, info, access, temp, window.first, parts, deps);
    const crcCheck = checkCrc(request, info, whole, parts, crcs);
    await temp.commit(request.destination, new Date(info.lastModified));
    return {
      status: 'downloaded',
      path: request.destination,
      info,
      length: window.length,
      bytesDownloaded: window.length,
      crcCheck,
    };
  } catch (error: unknown) {
    await temp.discard();
    throw error;
  }
}

function skipped(destination: string, info: ObjectInfo, reason: string): ObjectDownloadResult {
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

/** HEAD with the user's conditions; a 412 is explained by naming the condition that failed. */
async function headWithReason(
  client: CosClient,
  request: ObjectDownload,
  access: ObjectAccess,
  signal: AbortSignal | undefined,
) {
  try {
    return await headObject(client, request.key, access, request.conditions, signal);
  } catch (error: unknown) {
    if (error instanceof CosError && error.status === 404 && request.versionId !== undefined) {
      throw error.rephrase(
        `version '${request.versionId}' of '${request.key}' does not exist (or is a delete marker). ` +
          "Check the version-id input against the object's versions.",
        `GET '${request.key}'`,
      );
    }
    if (!(error instanceof CosError) || error.status !== 412) throw error;
    const actual = await headObject(client, request.key, access, {}, signal).catch(() => undefined);
    const { ifMatch, ifUnmodifiedSince } = request.conditions;
    const now = actual?.kind === 'found' ? actual.info : undefined;
    const reasons: string[] = [];
    if (ifMatch !== undefined)
      reasons.push(`if-match ${ifMatch} (the object's ETag is ${now?.etag ?? 'unknown'})`);
    if (ifUnmodifiedSince !== undefined) {
      reasons.push(
        `if-unmodified-since ${ifUnmodifiedSince.toUTCString()} (the object was modified ${now?.lastModified ?? 'later'})`,
      );
    }
    throw error.rephrase(
      `precondition failed: ${reasons.join('; ') || 'a condition'} does not hold`,
      `GET '${request.key}'`,
    );
  }
}

/** Fetches every part through a bounded pool; the first hard failure aborts the rest. */
async function fetchParts(
  client: CosClient,
  request: ObjectDownload,
  info: ObjectInfo,
  access: ObjectAccess,
  temp: TempFile,
  base: number,
  parts: readonly Part[],
  deps: DownloadDeps,
): Promise<bigint[]> {
  const controller = new AbortController();
  const outer = deps.signal;
  const onAbort = (): void => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort, { once: true });
  const limit = pLimit(request.concurrency);
  const job = {
    client,
    info,
    access,
    overrides: request.responseOverrides,
    writer: temp,
    base,
    signal: controller.signal,
    ...(deps.onBytes ? { onBytes: deps.onBytes } : {}),
  };
  let firstError: unknown;
  const settled = await Promise.allSettled(
    parts.map((part) =>
      limit(async () => {
        controller.signal.throwIfAborted();
        try {
          return await fetchPart(job, part);
        } catch (error: unknown) {
          if (firstError === undefined) {
            firstError = error;
            controller.abort(error);
          }
          throw error;
        }
      }),
    ),
  );
  outer?.removeEventListener('abort', onAbort);
  if (firstError !== undefined) throw firstError;
  for (const result of settled) if (result.status === 'rejected') throw result.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<bigint>).value);
}

function checkCrc(
  request: ObjectDownload,
  info: ObjectInfo,
  whole: boolean,
  parts: readonly Part[],
  crcs: readonly bigint[],
): CrcCheck {
  if (!request.crc) return 'disabled';
  if (!whole) return 'partial-range';
  const expected = info.crc64 === undefined ? undefined : parseCrc64(info.crc64);
  if (expected === undefined) return 'no-crc-header';
  let actual = 0n;
  parts.forEach((part, i) => {
    actual = crc64Combine(actual, crcs[i] as bigint, part.last - part.first + 1);
  });
  if (actual !== expected) {
    throw new IntegrityError(
      `CRC64 mismatch for '${info.key}': COS says ${info.crc64}, the downloaded bytes give ${formatCrc64(actual)}; ` +
        'nothing was written to the destination. Run again; if it persists, the object or a proxy is corrupting data.',
    );
  }
  return 'verified';
}
