// One object (or a byte range of it) to one file: HEAD for its identity and the user's conditions,
// the window the range selects, the skip decision, then — the destination locked — the fetch.
import pLimit from 'p-limit';
import type { ByteRange, Conditions, ResponseOverrides } from '../base/request.js';
import type { CosClient } from '../cos/client.js';
import { CosError } from '../cos/errors.js';
import { type HeadResult, headObject, type ObjectAccess } from '../cos/object.js';
import { removeCheckpoint } from './checkpoint.js';
import { fetchObject } from './fetch-object.js';
import { skipped, skipReason } from './local-match.js';
import { withDestinationLock } from './lock.js';
import type { ObjectDownloadResult } from './object-result.js';
import { formatRange, rangeWindow } from './plan.js';
import type { TransferDeps, TransferSettings } from './settings.js';

/** One object, as the user asks for it. */
export interface ObjectRequest {
  readonly key: string;
  readonly versionId?: string | undefined;
  readonly range?: ByteRange | undefined;
  readonly conditions: Conditions;
  readonly responseOverrides: ResponseOverrides;
  /** Absolute path of the file to write. */
  readonly destination: string;
}

export async function downloadObject(
  client: CosClient,
  request: ObjectRequest,
  settings: TransferSettings,
  deps: TransferDeps,
): Promise<ObjectDownloadResult> {
  const access: ObjectAccess = {
    versionId: request.versionId,
    sseCustomerKey: settings.sseCustomerKey,
    trafficLimit: settings.trafficLimit,
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
  if (settings.dryRun) {
    const skip = await skipReason(request.destination, settings, info, whole);
    if (skip !== undefined) return skipped(request.destination, info, skip);
    return {
      status: 'would-download',
      path: request.destination,
      info,
      length: window.length,
      bytesDownloaded: 0,
      crcCheck: settings.crc ? (whole ? 'verified' : 'partial-range') : 'disabled',
    };
  }

  // The destination locked: other runs keep off this file; a run that loses the lock to another
  // (which took it over) stops at once.
  return withDestinationLock(request.destination, deps, async (state, locked) => {
    const skip = await skipReason(request.destination, settings, info, whole);
    if (skip !== undefined) {
      // A crash between a download's rename and its checkpoint's removal leaves the checkpoint behind.
      await removeCheckpoint(state.checkpoint);
      return skipped(request.destination, info, skip);
    }
    const context = {
      client,
      settings,
      deps: locked,
      // One object: its parts are all the requests there are.
      limit: pLimit(settings.partConcurrency),
      folderReady: false,
    };
    const pinned =
      request.range !== undefined || Object.values(request.conditions).some((c) => c !== undefined);
    return fetchObject(context, { ...request, pinned, state }, info, window);
  });
}

/** HEAD with the user's conditions; a 412 is explained by naming the condition that failed. */
async function headWithReason(
  client: CosClient,
  request: ObjectRequest,
  access: ObjectAccess,
  signal: AbortSignal,
): Promise<HeadResult> {
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
