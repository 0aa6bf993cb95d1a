// One part: a ranged GET pinned to the object's ETag (and version), streamed into the temp file
// with its CRC computed on the way. A transient failure resumes from the first missing byte. The
// source is a COS client or a link (source.ts); a link's first part may arrive already opened.
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ResponseOverrides } from '../base/request.js';
import { type CosResponse, header } from '../cos/client.js';
import { ProtocolError } from '../cos/errors.js';
import {
  isCrc64Header,
  namingRequest,
  type ObjectAccess,
  type ObjectInfo,
  overrideQuery,
  sseHeaders,
  versionQuery,
} from '../cos/object.js';
import { Crc64 } from './crc64.js';
import { ObjectChangedError } from './object-result.js';
import type { Part } from './plan.js';
import { letGo, type ObjectSource } from './source.js';

export interface PartWriter {
  /** Writes the buffers back to back from `position`. */
  writevAt(buffers: readonly Buffer[], position: number): Promise<void>;
}

/** A Writable that hands every batch of buffered chunks to one async consumer, one batch at a time. */
export class BatchSink extends Writable {
  readonly #consume: (chunks: Buffer[]) => Promise<void>;
  #inflight: Promise<void> = Promise.resolve();

  constructor(consume: (chunks: Buffer[]) => Promise<void>) {
    super({ highWaterMark: 1024 * 1024 });
    this.#consume = consume;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#run([chunk], callback);
  }

  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    this.#run(
      chunks.map((c) => c.chunk),
      callback,
    );
  }

  #run(chunks: Buffer[], callback: (error?: Error | null) => void): void {
    this.#inflight = this.#consume(chunks);
    this.#inflight.then(
      () => callback(),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }

  /** Resolves once no batch is being written (after a failure, before a retry reuses the offsets). */
  async settled(): Promise<void> {
    await this.#inflight.catch(() => {});
  }
}

/** What every GET of a part needs: the source, the pinned object, and the abort signal. */
export interface PartBase {
  readonly client: ObjectSource;
  readonly info: ObjectInfo;
  readonly access: ObjectAccess;
  readonly overrides: ResponseOverrides;
  readonly signal: AbortSignal;
}

export interface PartJob extends PartBase {
  readonly writer: PartWriter;
  /** Object offset that maps to position 0 of the writer. */
  readonly base: number;
  readonly onBytes?: ((count: number) => void) | undefined;
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

/**
 * Requires a 206 whose Content-Range is exactly the bytes asked for, of an object of the known size,
 * and an `x-cos-hash-crc64ecma`, when there is one, that is a CRC-64.
 */
export function checkPartialResponse(
  response: CosResponse,
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
  /** CRC-64 of the part's bytes. */
  readonly crc: bigint;
  /** The object's `x-cos-hash-crc64ecma` as this response stated it (listings do not carry it). */
  readonly objectCrc64?: string;
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
    headers: {
      ...(info.etag === '' ? {} : { 'if-match': info.etag }),
      ...sseHeaders(access.sseCustomerKey),
      ...(access.trafficLimit === undefined ? {} : { 'x-cos-traffic-limit': String(access.trafficLimit) }),
    },
  };
}

/**
 * A link's later responses prove they are of the object its first one was (a server may ignore
 * If-Match): their ETag and CRC headers, when sent, must be that one's.
 */
function checkSameObject(response: CosResponse, info: ObjectInfo, what: string): void {
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

/** Checks an answer to a part's GET (206, Content-Range, Content-Length, a link's ETag and CRC); destroys it if wrong. */
function checkPart(job: PartBase, response: CosResponse, next: number, last: number): CosResponse {
  try {
    checkPartialResponse(response, job.info.key, next, last, job.info.size);
    if (job.client.fixedUrl === true) checkSameObject(response, job.info, `bytes=${next}-${last}`);
  } catch (error: unknown) {
    letGo(response);
    throw error;
  }
  return response;
}

/** One ranged GET of bytes `next`..`last`, its answer checked (206, Content-Range, Content-Length). */
async function openRange(
  job: PartBase,
  fixed: { query: Record<string, string>; headers: Record<string, string> },
  next: number,
  last: number,
  highWaterMark: number,
): Promise<CosResponse> {
  const response = await job.client
    .send({
      method: 'GET',
      key: job.info.key,
      query: fixed.query,
      headers: { ...fixed.headers, range: `bytes=${next}-${last}` },
      signal: job.signal,
      highWaterMark,
    })
    .catch((error: unknown) => {
      throw namingRequest(error, `GET '${job.info.key}' bytes=${next}-${last}`);
    });
  return checkPart(job, response, next, last);
}

/**
 * The response of an attempt: on the first, the one already opened when there is one (a link's
 * first GET, which taught the object's identity), else a new ranged GET from `next`.
 */
async function attemptResponse(
  job: PartBase,
  fixed: { query: Record<string, string>; headers: Record<string, string> },
  opened: { response: CosResponse | undefined },
  next: number,
  last: number,
  highWaterMark: number,
): Promise<CosResponse> {
  const first = opened.response;
  if (first === undefined) return openRange(job, fixed, next, last, highWaterMark);
  opened.response = undefined;
  return checkPart(job, first, next, last);
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
 * Downloads one part. `opened`, when given, is the answer of its first attempt, already sent (a
 * link's first GET); it is consumed (or destroyed) whatever happens.
 */
export async function fetchPart(job: PartJob, part: Part, opened?: CosResponse): Promise<PartResult> {
  const { client, info, writer, base, signal } = job;
  const crc = new Crc64();
  let next = part.first;
  let objectCrc64: string | undefined;
  const fixed = partRequest(job);
  const first = { response: opened };
  await client
    .retrying(`GET '${info.key}' bytes=${part.first}-${part.last}`, signal, async () => {
      signal.throwIfAborted();
      const what = `GET '${info.key}' bytes=${next}-${part.last}`;
      const response = await attemptResponse(job, fixed, first, next, part.last, 1024 * 1024);
      objectCrc64 = header(response, 'x-cos-hash-crc64ecma') ?? objectCrc64;
      // The sink batches what arrives while a write is in flight into the next (positional) writev,
      // so reading and writing overlap. `next` moves only when bytes are written, so a retry resumes
      // exactly after the last written byte.
      const sink = new BatchSink(async (chunks) => {
        let length = 0;
        for (const chunk of chunks) length += chunk.length;
        if (next + length > part.last + 1) throw tooMany(job, part);
        await writer.writevAt(chunks, next - base);
        for (const chunk of chunks) crc.update(chunk);
        next += length;
        job.onBytes?.(length);
      });
      try {
        await pipeline(response.body, sink);
      } catch (error: unknown) {
        await sink.settled();
        throw namingRequest(error, what);
      }
      if (next <= part.last) throw droppedAt(job, next, part);
    })
    .finally(() => {
      if (first.response !== undefined) letGo(first.response);
    });
  return { crc: crc.digest(), ...(objectCrc64 === undefined ? {} : { objectCrc64 }) };
}

export interface PartBody {
  /** The part's bytes, in order, as they arrived. */
  readonly chunks: readonly Buffer[];
  /** The object's `x-cos-hash-crc64ecma` as this response stated it. */
  readonly objectCrc64?: string;
}

/**
 * Downloads one (small) part into memory: the same ranged GET and checks as `fetchPart`, without a
 * stream pipeline or a file, so a small object costs one request and, later, one write. A transient
 * failure resumes from the first byte not yet received.
 */
export async function fetchPartBody(job: PartBase, part: Part, opened?: CosResponse): Promise<PartBody> {
  const { client, info, signal } = job;
  const chunks: Buffer[] = [];
  let next = part.first;
  let objectCrc64: string | undefined;
  const fixed = partRequest(job);
  const length = part.last - part.first + 1;
  const first = { response: opened };
  await client
    .retrying(`GET '${info.key}' bytes=${part.first}-${part.last}`, signal, async () => {
      signal.throwIfAborted();
      const response = await attemptResponse(
        job,
        fixed,
        first,
        next,
        part.last,
        Math.min(length, 1024 * 1024),
      );
      objectCrc64 = header(response, 'x-cos-hash-crc64ecma') ?? objectCrc64;
      try {
        for await (const chunk of response.body as AsyncIterable<Buffer>) {
          if (next + chunk.length > part.last + 1) {
            response.body.destroy();
            throw tooMany(job, part);
          }
          chunks.push(chunk);
          next += chunk.length;
        }
      } catch (error: unknown) {
        throw namingRequest(error, `GET '${info.key}' bytes=${next}-${part.last}`);
      }
      if (next <= part.last) throw droppedAt(job, next, part);
    })
    .finally(() => {
      if (first.response !== undefined) letGo(first.response);
    });
  return { chunks, ...(objectCrc64 === undefined ? {} : { objectCrc64 }) };
}
