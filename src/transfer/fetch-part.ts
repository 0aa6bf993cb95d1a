// One part: a ranged GET pinned to the object's ETag (and version), streamed into the temp file
// with its CRC computed on the way. A transient failure resumes from the first missing byte.
import type { ResponseOverrides } from '../config/options.js';
import { type CosClient, type CosResponse, header } from '../cos/client.js';
import { ProtocolError } from '../cos/errors.js';
import {
  type ObjectAccess,
  type ObjectInfo,
  overrideQuery,
  sseHeaders,
  versionQuery,
} from '../cos/object.js';
import { Crc64 } from './crc64.js';
import type { Part } from './plan.js';

export interface PartWriter {
  writeAt(data: Uint8Array, position: number): Promise<void>;
}

export interface PartJob {
  readonly client: CosClient;
  readonly info: ObjectInfo;
  readonly access: ObjectAccess;
  readonly overrides: ResponseOverrides;
  readonly writer: PartWriter;
  /** Object offset that maps to position 0 of the writer. */
  readonly base: number;
  readonly signal: AbortSignal;
  readonly onBytes?: (count: number) => void;
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

/** Requires a 206 whose Content-Range is exactly the bytes asked for, of an object of the known size. */
export function checkPartialResponse(response: CosResponse, first: number, last: number, size: number): void {
  const what = `ranged GET bytes=${first}-${last}`;
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
}

export interface PartResult {
  /** CRC-64 of the part's bytes. */
  readonly crc: bigint;
  /** The object's `x-cos-hash-crc64ecma` as this response stated it (listings do not carry it). */
  readonly objectCrc64?: string;
}

/** Downloads one part. */
export async function fetchPart(job: PartJob, part: Part): Promise<PartResult> {
  const { client, info, access, writer, base, signal } = job;
  const crc = new Crc64();
  let next = part.first;
  let objectCrc64: string | undefined;
  const query = { ...versionQuery(info.versionId ?? access.versionId), ...overrideQuery(job.overrides) };
  const fixedHeaders: Record<string, string> = {
    'if-match': info.etag,
    ...sseHeaders(access.sseCustomerKey),
    ...(access.trafficLimit === undefined ? {} : { 'x-cos-traffic-limit': String(access.trafficLimit) }),
  };
  await client.retrying(`GET '${info.key}' bytes=${part.first}-${part.last}`, signal, async () => {
    signal.throwIfAborted();
    const response = await client.send({
      method: 'GET',
      key: info.key,
      query,
      headers: { ...fixedHeaders, range: `bytes=${next}-${part.last}` },
      signal,
    });
    try {
      checkPartialResponse(response, next, part.last, info.size);
    } catch (error: unknown) {
      response.body.destroy();
      throw error;
    }
    objectCrc64 = header(response, 'x-cos-hash-crc64ecma') ?? objectCrc64;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      if (next + chunk.length > part.last + 1) {
        response.body.destroy();
        throw new ProtocolError(`GET '${info.key}' sent more bytes than bytes=${part.first}-${part.last}`, {
          transient: false,
        });
      }
      await writer.writeAt(chunk, next - base);
      crc.update(chunk);
      next += chunk.length;
      job.onBytes?.(chunk.length);
    }
    if (next <= part.last) {
      throw new ProtocolError(
        `GET '${info.key}' body ended at byte ${next}, before ${part.last + 1}: the connection dropped`,
        { transient: true },
      );
    }
  });
  return { crc: crc.digest(), ...(objectCrc64 === undefined ? {} : { objectCrc64 }) };
}
