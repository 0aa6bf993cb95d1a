// One part: a ranged GET pinned to the object's ETag (and version), its body written into the
// temp file and through the CRC as each slice arrives. A transient failure resumes from the first
// missing byte. The source is a COS client or a link (source.ts); a link's first part may arrive
// already opened.
import type { ResponseOverrides } from '../base/request.js';
import { type CosResponse, header } from '../cos/client.js';
import { ProtocolError } from '../cos/errors.js';
import {
  accessHeaders,
  isCrc64Header,
  namingRequest,
  type ObjectAccess,
  type ObjectInfo,
  overrideQuery,
  versionQuery,
} from '../cos/object.js';
import { streamCrc } from './crc64/offload.js';
import { crc64Combine } from './crc64.js';
import { ObjectChangedError } from './object-result.js';
import type { Part } from './plan.js';
import type { PartProgress, PartStart } from './resume.js';
import { letGo, type ObjectSource } from './source.js';
import { LocalWriteFailure } from './temp-file.js';

export interface PartWriter {
  /** Writes `buffer` at `position` before returning; throws a LocalWriteFailure. */
  writeAtSync(buffer: Buffer, position: number): void;
  /** The CRC-64 of `length` bytes from `position` as written; undefined if there are fewer. */
  crcAt(position: number, length: number): Promise<bigint | undefined>;
}

/** What every GET of a part needs: the source, the pinned object, and the abort signal. */
export interface PartBase {
  readonly client: ObjectSource;
  readonly info: ObjectInfo;
  readonly access: ObjectAccess;
  readonly overrides: ResponseOverrides;
  readonly signal: AbortSignal;
  /** false (`crc: false`): no CRC is computed. */
  readonly crc: boolean;
}

export interface PartJob extends PartBase {
  readonly writer: PartWriter;
  /** Object offset that maps to position 0 of the writer. */
  readonly base: number;
  readonly onBytes?: ((count: number) => void) | undefined;
  /** Where the part tells how far it has come (a checkpoint records it when the run stops). */
  readonly inFlight?: Map<number, PartProgress> | undefined;
  /** The part's first bytes, already in the temp file (a resume): fetched on from after them. */
  readonly start?: PartStart | undefined;
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

/**
 * Requires a 206 whose Content-Range is exactly the bytes asked for, of an object of the known size,
 * and an `x-cos-hash-crc64ecma`, when there is one, that is a CRC-64.
 */
export function checkPartialResponse(
  response: Pick<CosResponse, 'status' | 'headers'>,
  key: string,
  first: number,
  last: number,
  size: number,
): void {
  const what = `ranged GET '${key}' bytes=${first}-${last}`;
  if (response.status !== 206) {
    throw new ProtocolError(
      `${what} answered ${response.status}, not 206 Partial Content: the server ignored the range`,
      {
        transient: false,
      },
    );
  }
  const contentRange = header(response, 'content-range') ?? '';
  const match = CONTENT_RANGE.exec(contentRange);
  if (
    match === null ||
    Number(match[1]) !== first ||
    Number(match[2]) !== last ||
    (match[3] !== '*' && Number(match[3]) !== size)
  ) {
    throw new ProtocolError(
      `${what} answered Content-Range '${contentRange.slice(0, 80)}', expected 'bytes ${first}-${last}/${size}'`,
      { transient: false },
    );
  }
  const length = header(response, 'content-length');
  if (length !== undefined && length !== String(last - first + 1)) {
    throw new ProtocolError(
      `${what} answered Content-Length ${length.slice(0, 20)}, expected ${last - first + 1}`,
      {
        transient: false,
      },
    );
  }
  const crc64 = header(response, 'x-cos-hash-crc64ecma');
  if (crc64 !== undefined && !isCrc64Header(crc64)) {
    throw new ProtocolError(
      `${what} answered x-cos-hash-crc64ecma '${crc64.slice(0, 40)}', not a CRC-64 (decimal, at most 2^64-1), so the bytes could not be checked`,
      { transient: false },
    );
  }
}

export interface PartResult {
  /** CRC-64 of the part's bytes; undefined when the CRC is off. */
  readonly crc: bigint | undefined;
  /** The object's `x-cos-hash-crc64ecma` as this response stated it (listings do not carry it). */
  readonly objectCrc64?: string | undefined;
}

/**
 * The query and fixed headers of a part's GETs: pinned to the ETag (and version). A link's query is
 * its own (signed): the version and overrides it names are in it already.
 */
function partRequest(job: PartBase): { query: Record<string, string>; headers: Record<string, string> } {
  const { info, access } = job;
  return {
    query:
      job.client.fixedUrl === true
        ? {}
        : { ...versionQuery(info.versionId ?? access.versionId), ...overrideQuery(job.overrides) },
    headers: { ...(info.etag === '' ? {} : { 'if-match': info.etag }), ...accessHeaders(access) },
  };
}

/**
 * A link's later responses prove they are of the object its first one was (a server may ignore
 * If-Match): their ETag and CRC headers, when sent, must be that one's.
 */
function checkSameObject(response: Pick<CosResponse, 'headers'>, info: ObjectInfo, what: string): void {
  const etag = header(response, 'etag');
  const crc64 = header(response, 'x-cos-hash-crc64ecma');
  const changed =
    etag !== undefined && etag !== info.etag
      ? `its ETag is now ${etag.slice(0, 80)}, not ${info.etag}`
      : crc64 !== undefined && info.crc64 !== undefined && crc64 !== info.crc64
        ? `its CRC64 is now ${crc64.slice(0, 40)}, not ${info.crc64}`
        : undefined;
  if (changed !== undefined) {
    throw new ObjectChangedError(
      `'${info.key}' changed during the download (${what}): ${changed}`,
      undefined,
    );
  }
}

/** Checks an answer to a part's GET before its body: 206, Content-Range, Content-Length, a link's ETag and CRC. */
function checkPart(
  job: PartBase,
  answer: Pick<CosResponse, 'status' | 'headers'>,
  next: number,
  last: number,
): void {
  checkPartialResponse(answer, job.info.key, next, last, job.info.size);
  if (job.client.fixedUrl === true) checkSameObject(answer, job.info, `bytes=${next}-${last}`);
}

/** An answer's body to `onBody`, slice by slice (an answer already opened: a link's first GET). */
async function drain(response: CosResponse, onBody: (chunk: Buffer) => void): Promise<void> {
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) onBody(chunk);
  } catch (error: unknown) {
    letGo(response);
    throw error;
  }
}

/**
 * One ranged GET of bytes `next`..`last` — or, on a first attempt, the answer `opened` already
 * holds — checked (206, Content-Range, Content-Length) before any of its body goes to `onBody`.
 * Returns the answer's `x-cos-hash-crc64ecma`.
 */
async function getRange(
  job: PartBase,
  fixed: { query: Record<string, string>; headers: Record<string, string> },
  opened: { response: CosResponse | undefined },
  range: { readonly next: number; readonly last: number },
  onBody: (chunk: Buffer) => void,
): Promise<string | undefined> {
  const { next, last } = range;
  let objectCrc64: string | undefined;
  const onHead = (answer: Pick<CosResponse, 'status' | 'headers'>): void => {
    checkPart(job, answer, next, last);
    objectCrc64 = header(answer, 'x-cos-hash-crc64ecma');
  };
  const first = opened.response;
  opened.response = undefined;
  const request = {
    method: 'GET' as const,
    key: job.info.key,
    query: fixed.query,
    headers: { ...fixed.headers, range: `bytes=${next}-${last}` },
    signal: job.signal,
  };
  const received =
    first === undefined
      ? job.client.getBody(request, { onHead, onBody })
      : (async () => {
          try {
            onHead(first);
          } catch (error: unknown) {
            letGo(first);
            throw error;
          }
          await drain(first, onBody);
        })();
  await received.catch(async (error: unknown) => {
    throw namingRequest(
      await LocalWriteFailure.explained(error),
      `GET '${job.info.key}' bytes=${next}-${last}`,
    );
  });
  return objectCrc64;
}

function tooMany(job: PartBase, part: Part): ProtocolError {
  return new ProtocolError(`GET '${job.info.key}' sent more bytes than bytes=${part.first}-${part.last}`, {
    transient: false,
  });
}

function droppedAt(job: PartBase, next: number, part: Part): ProtocolError {
  return new ProtocolError(
    `GET '${job.info.key}' body ended at byte ${next}, before ${part.last + 1}: the connection dropped`,
    { transient: true },
  );
}

/**
 * Receives the rest of `part` into `onBody`, from byte `taken()`: ranged GETs, retried on a transient
 * failure from the first byte not yet taken; `opened`, when given, answers the first attempt.
 * Returns the object's `x-cos-hash-crc64ecma` as the answers stated it.
 */
async function receive(
  job: PartBase,
  part: Part,
  opened: CosResponse | undefined,
  taken: () => number,
  onBody: (chunk: Buffer) => void,
): Promise<string | undefined> {
  const { client, info, signal } = job;
  const fixed = partRequest(job);
  const first = { response: opened };
  let objectCrc64: string | undefined;
  await client
    .retrying(`GET '${info.key}' bytes=${part.first}-${part.last}`, signal, async () => {
      signal.throwIfAborted();
      const range = { next: taken(), last: part.last };
      objectCrc64 = (await getRange(job, fixed, first, range, onBody)) ?? objectCrc64;
      if (taken() <= part.last) throw droppedAt(job, taken(), part);
    })
    .finally(() => {
      if (first.response !== undefined) letGo(first.response);
    });
  return objectCrc64;
}

/**
 * Downloads one part. `opened`, when given, is the answer of its first attempt, already sent (a
 * link's first GET); it is consumed (or let go) whatever happens.
 */
export async function fetchPart(job: PartJob, part: Part, opened?: CosResponse): Promise<PartResult> {
  const { writer, base } = job;
  const from = part.first + (job.start?.bytes ?? 0);
  const crc = job.crc ? streamCrc(part.last + 1 - from) : undefined;
  let next = from;
  const progress: PartProgress = { bytes: 0, crc, before: job.start };
  job.inFlight?.set(part.index, progress);
  // Each slice is written (positionally) and through the CRC before the read buffer is reused;
  // `next` moves only past written bytes, so a retry resumes exactly after the last of them.
  const onBody = (chunk: Buffer): void => {
    if (next + chunk.length > part.last + 1) throw tooMany(job, part);
    writer.writeAtSync(chunk, next - base);
    crc?.update(chunk);
    next += chunk.length;
    progress.bytes += chunk.length;
    job.onBytes?.(chunk.length);
  };
  const objectCrc64 = await receive(job, part, opened, () => next, onBody);
  const fetched = part.last + 1 - from;
  // The CRC worker failed with some of these bytes: hash them as they are in the file instead.
  const rest = await crc?.digest().catch(async (error: unknown) => {
    const onDisk = await writer.crcAt(from - base, fetched);
    if (onDisk === undefined) throw error;
    return onDisk;
  });
  return { crc: partCrc(rest, job.start, fetched), objectCrc64 };
}

/** The CRC of a whole part from this run's bytes and, for a resumed part, the CRC of its first bytes. */
function partCrc(
  rest: bigint | undefined,
  start: PartStart | undefined,
  fetched: number,
): bigint | undefined {
  if (rest === undefined) return undefined;
  if (start === undefined) return rest;
  if (start.crc === undefined) return undefined;
  return crc64Combine(start.crc, rest, fetched);
}

export interface PartBody {
  /** The part's bytes. */
  readonly bytes: Buffer;
  /** The object's `x-cos-hash-crc64ecma` as this response stated it. */
  readonly objectCrc64?: string | undefined;
}

/**
 * Downloads one (small) part into memory: the same ranged GET and checks as `fetchPart`, into one
 * buffer of the part's size, so a small object costs one request and, later, one write. A
 * transient failure resumes from the first byte not yet received.
 */
export async function fetchPartBody(job: PartBase, part: Part, opened?: CosResponse): Promise<PartBody> {
  const bytes = Buffer.allocUnsafe(part.last - part.first + 1);
  let next = part.first;
  const onBody = (chunk: Buffer): void => {
    if (next + chunk.length > part.last + 1) throw tooMany(job, part);
    chunk.copy(bytes, next - part.first);
    next += chunk.length;
  };
  const objectCrc64 = await receive(job, part, opened, () => next, onBody);
  return { bytes, objectCrc64 };
}
