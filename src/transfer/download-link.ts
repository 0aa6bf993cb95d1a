// One object from a link (a presigned URL, or any ranged-HTTPS URL) to one file, with the engine a
// key uses. A link cannot HEAD (it signs its method), so the first request is the first part's
// ranged GET: its headers teach the object's identity (size from Content-Range, ETag, Last-Modified,
// CRC-64, version, storage class) and its body becomes part 0, so a small object costs one request.
// Later parts are pinned with If-Match; a server that ignores ranges, or sends no (strong) ETag, is
// read as one stream, without parts or a checkpoint. See docs/adr/0011-links.md.
import pLimit from 'p-limit';
import type { Conditions } from '../base/request.js';
import { type CosResponse, header } from '../cos/client.js';
import { ProtocolError } from '../cos/errors.js';
import {
  accessHeaders,
  conditionHeaders,
  contentLength,
  isCrc64Header,
  namingRequest,
  type ObjectInfo,
} from '../cos/object.js';
import { removeCheckpoint } from './checkpoint.js';
import { type FetchContext, fetchObject } from './fetch-object.js';
import { fetchStream } from './fetch-stream.js';
import { skipped, skipReason } from './local-match.js';
import { withDestinationLock } from './lock.js';
import type { ObjectAtPath, ObjectDownloadResult } from './object-result.js';
import type { TransferDeps, TransferSettings } from './settings.js';
import { letGo, type ObjectSource } from './source.js';
import type { ObjectState } from './state.js';

/** A link as the engine reaches it: a fixed-URL source and the name it goes by (origin and path). */
export interface LinkSource extends ObjectSource {
  /** Origin and path: what messages, progress, checkpoints and results call the object. */
  readonly name: string;
}

export interface LinkRequest {
  /** Conditions the first GET carries (the object's identity is then held by If-Match). */
  readonly conditions: Conditions;
  /** Absolute path of the file to write. */
  readonly destination: string;
}

/** What the first GET taught: the object, and its answer (still to be read) or why there is none. */
type Probe =
  | { readonly kind: 'not-modified' }
  | {
      readonly kind: 'found';
      readonly info: ObjectInfo;
      /** The answer of the first GET: the first part (206), or the whole object (200). */
      readonly response: CosResponse;
      /** Parts can be fetched in parallel and resumed: a 206 with a strong ETag to pin them to. */
      readonly ranged: boolean;
    };

/** A strong ETag: what If-Match compares byte ranges with (a weak one, `W/"…"`, never matches a range). */
function isStrongEtag(etag: string): boolean {
  return etag !== '' && !etag.startsWith('W/');
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+)$/;
const EMPTY_RANGE = /^bytes \*\/0$/;

function infoFrom(name: string, response: CosResponse, size: number): ObjectInfo {
  const crc64 = header(response, 'x-cos-hash-crc64ecma');
  if (crc64 !== undefined && !isCrc64Header(crc64)) {
    throw new ProtocolError(
      `GET ${name} answered x-cos-hash-crc64ecma '${crc64.slice(0, 40)}', not a CRC-64 (decimal, at most 2^64-1), so the bytes could not be checked`,
      { transient: false },
    );
  }
  const versionId = header(response, 'x-cos-version-id');
  return {
    key: name,
    etag: header(response, 'etag')?.trim() ?? '',
    size,
    lastModified: header(response, 'last-modified') ?? '',
    crc64,
    versionId: versionId === 'null' ? undefined : versionId,
    storageClass: header(response, 'x-cos-storage-class') ?? 'STANDARD',
  };
}

/** The first GET: the first part's range, with the user's conditions. Reads headers only. */
async function probe(
  source: LinkSource,
  request: LinkRequest,
  settings: TransferSettings,
  signal: AbortSignal,
): Promise<Probe> {
  const name = source.name;
  const last = settings.partSize - 1;
  const fixed = accessHeaders(settings);
  const get = (headers: Record<string, string>, what: string) =>
    source.retrying(what, signal, () =>
      source
        .send({ method: 'GET', key: name, headers, accept: [304, 416], signal, highWaterMark: 1024 * 1024 })
        .catch((error: unknown) => {
          throw namingRequest(error, what);
        }),
    );
  const conditions = conditionHeaders(request.conditions);
  const response = await get(
    { ...conditions, ...fixed, range: `bytes=0-${last}` },
    `GET ${name} bytes=0-${last}`,
  );
  // Its body waits while a resume re-reads the temp file: if its socket times out meanwhile, the
  // error must wait for the reader (who retries), not escape as an unhandled event.
  response.body.on('error', () => {});
  const status = response.status;
  if (status === 304) {
    letGo(response);
    return { kind: 'not-modified' };
  }
  const contentRange = header(response, 'content-range') ?? '';
  if (status === 416) {
    letGo(response);
    if (!EMPTY_RANGE.test(contentRange)) {
      throw new ProtocolError(
        `GET ${name} bytes=0-${last} answered 416 (Content-Range '${contentRange.slice(0, 80)}'), though byte 0 of a non-empty object is always there`,
        { transient: false },
      );
    }
    // An empty object has no byte 0 to range over: ask for it whole (its headers and its 0 bytes).
    const whole = await get({ ...conditions, ...fixed }, `GET ${name}`);
    whole.body.on('error', () => {});
    if (whole.status !== 200) {
      letGo(whole);
      throw new ProtocolError(`GET ${name} of an empty object answered ${whole.status}, not 200`, {
        transient: false,
      });
    }
    return { kind: 'found', info: infoFrom(name, whole, 0), response: whole, ranged: false };
  }
  if (status === 200) {
    const size = contentLength(response);
    if (size === undefined) {
      letGo(response);
      throw new ProtocolError(
        `GET ${name} answered 200 without a usable Content-Length, so the download's length could not be verified`,
        { transient: false },
      );
    }
    return { kind: 'found', info: infoFrom(name, response, size), response, ranged: false };
  }
  const match = CONTENT_RANGE.exec(contentRange);
  if (status !== 206 || match === null || Number(match[1]) !== 0) {
    letGo(response);
    throw new ProtocolError(
      `GET ${name} bytes=0-${last} answered ${status} with Content-Range '${contentRange.slice(0, 80)}': ` +
        "expected 'bytes 0-…/<size>', so the object's size is unknown",
      { transient: false },
    );
  }
  const info = infoFrom(name, response, Number(match[3]));
  return { kind: 'found', info, response, ranged: isStrongEtag(info.etag) };
}

/** Downloads the object `source` links to into `request.destination`. */
export async function downloadLink(
  source: LinkSource,
  request: LinkRequest,
  settings: TransferSettings,
  deps: TransferDeps,
): Promise<ObjectDownloadResult> {
  const { destination } = request;
  if (settings.dryRun) {
    const found = await probe(source, request, settings, deps.signal);
    if (found.kind === 'not-modified') return { status: 'not-modified', path: destination };
    letGo(found.response);
    const skip = await skipReason(destination, settings, found.info, true);
    if (skip !== undefined) return skipped(destination, found.info, skip);
    return {
      status: 'would-download',
      path: destination,
      info: found.info,
      length: found.info.size,
      bytesDownloaded: 0,
      crcCheck: !settings.crc ? 'disabled' : found.info.crc64 === undefined ? 'no-crc-header' : 'verified',
    };
  }
  // The destination locked before the first GET: its body is read as soon as the object is known,
  // never held open while another run writes this file.
  return withDestinationLock(destination, deps, async (state, locked) => {
    const found = await probe(source, request, settings, locked.signal);
    if (found.kind === 'not-modified') return { status: 'not-modified', path: destination };
    const context: FetchContext = {
      client: source,
      settings,
      deps: locked,
      limit: pLimit(settings.partConcurrency),
      folderReady: false,
    };
    return fetchFound(context, request, state, found);
  });
}

async function fetchFound(
  context: FetchContext,
  request: LinkRequest,
  state: ObjectState,
  found: Extract<Probe, { kind: 'found' }>,
): Promise<ObjectAtPath> {
  const { info, response } = found;
  const { settings, deps } = context;
  const skip = await skipReason(request.destination, settings, info, true).catch((error: unknown) => {
    letGo(response);
    throw error;
  });
  if (skip !== undefined) {
    letGo(response);
    // A crash between a download's rename and its checkpoint's removal leaves the checkpoint behind.
    await removeCheckpoint(state.checkpoint);
    return skipped(request.destination, info, skip);
  }
  if (found.ranged && info.size > 0) {
    // A link's object is the one its first GET described: if it changes, the run fails (If-Match)
    // and the next one starts over from a fresh first GET.
    const fetchRequest = {
      key: info.key,
      responseOverrides: {},
      pinned: true,
      destination: request.destination,
      state,
    };
    return fetchObject(context, fetchRequest, info, { first: 0, length: info.size }, response);
  }
  // Here the first answer is the whole object (200, or a 206 that covered it all), or must be asked again.
  const whole = response.status === 200 || info.size <= settings.partSize;
  if (info.size > settings.partSize) {
    const why =
      response.status === 200
        ? 'the server ignored the range (200 to a ranged GET)'
        : `the server sent ${info.etag === '' ? 'no ETag' : `only a weak ETag (${info.etag})`} to pin its parts to one version`;
    deps.logger.info(
      `${info.key}: ${why}, so it comes down as one stream, without parallel parts or a checkpoint (a re-run starts over)`,
    );
  }
  if (!whole) letGo(response);
  return fetchStream(
    context,
    { destination: request.destination, state },
    info,
    whole ? response : undefined,
  );
}
