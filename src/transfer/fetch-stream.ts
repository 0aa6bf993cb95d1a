// One object as one stream, for the sources the part engine cannot pin: a server that ignores ranges
// (200 to a ranged GET), and a link whose server sends no ETag (no If-Match to hold the parts to one
// version, so nothing a checkpoint could vouch for). No parts, no checkpoint: the CRC-64 is computed
// as the bytes arrive, a dropped stream starts over from byte 0, and the file is renamed into place
// only once its length (and CRC, when stated) is verified.
import type { Conditions } from '../base/request.js';
import { type CosResponse, header, toSink } from '../cos/client.js';
import { ProtocolError } from '../cos/errors.js';
import type { ObjectInfo } from '../cos/object.js';
import { accessHeaders, conditionHeaders, namingRequest } from '../cos/object.js';
import { Crc64, formatCrc64, parseCrc64 } from './crc64.js';
import type { FetchContext } from './fetch-object.js';
import { type CrcCheck, IntegrityError, type ObjectAtPath, ObjectChangedError } from './object-result.js';
import { letGo } from './source.js';
import type { FileState } from './state.js';
import { LocalWriteFailure, TempFile } from './temp-file.js';

export interface StreamRequest {
  /** Absolute path of the file to write. */
  readonly destination: string;
  /** Where its temp file goes (its folder exists). */
  readonly state: FileState;
}

/** What a later GET of the whole object sends: pinned to the ETag, else to Last-Modified, else unpinned. */
function wholeHeaders(context: FetchContext, info: ObjectInfo): Record<string, string> {
  const { settings } = context;
  const pin: Conditions =
    info.etag !== ''
      ? { ifMatch: info.etag }
      : info.lastModified !== '' && !Number.isNaN(Date.parse(info.lastModified))
        ? { ifUnmodifiedSince: new Date(info.lastModified) }
        : {};
  return { ...conditionHeaders(pin), ...accessHeaders(settings) };
}

/** A whole-object answer: 200, or a 206 that covers every byte; the known length; the same ETag and CRC. */
function checkWhole(response: Pick<CosResponse, 'status' | 'headers'>, info: ObjectInfo): void {
  const what = `GET '${info.key}'`;
  const range = header(response, 'content-range');
  const whole =
    response.status === 200 ||
    (response.status === 206 && range === `bytes 0-${info.size - 1}/${info.size}`) ||
    (response.status === 206 && info.size === 0);
  if (!whole) {
    throw new ProtocolError(
      `${what} answered ${response.status}${range === undefined ? '' : ` (Content-Range '${range.slice(0, 80)}')`}, not the whole object`,
      { transient: false },
    );
  }
  const length = header(response, 'content-length');
  if (length !== undefined && length !== String(info.size)) {
    throw new ProtocolError(`${what} answered Content-Length ${length.slice(0, 20)}, expected ${info.size}`, {
      transient: false,
    });
  }
  const etag = header(response, 'etag') ?? '';
  const crc64 = header(response, 'x-cos-hash-crc64ecma');
  if (etag !== info.etag || (crc64 !== undefined && info.crc64 !== undefined && crc64 !== info.crc64)) {
    throw new ObjectChangedError(
      `'${info.key}' changed between two GETs (its ETag or CRC64 differs)`,
      undefined,
    );
  }
}

/**
 * Downloads the whole object `info` as one stream into `request.destination`. `opened` is a
 * whole-object answer already received (it is consumed or destroyed); without it, or after it drops,
 * the object is asked for again.
 */
export async function fetchStream(
  context: FetchContext,
  request: StreamRequest,
  info: ObjectInfo,
  opened: CosResponse | undefined,
): Promise<ObjectAtPath> {
  const { client, deps, limit, settings } = context;
  let first = opened;
  let temp: TempFile | undefined;
  try {
    deps.progress.onStart?.(info, info.size, 0);
    temp = await TempFile.create(request.state.temp, info.size, request.destination);
    const file = temp;
    const headers = wholeHeaders(context, info);
    let reported = 0;
    const what = `GET '${info.key}'`;
    const crc = await limit(() =>
      client.retrying(what, deps.signal, async () => {
        deps.signal.throwIfAborted();
        const digest = settings.crc ? new Crc64() : undefined;
        let written = 0;
        const sink = {
          onHead: (answer: Pick<CosResponse, 'status' | 'headers'>) => checkWhole(answer, info),
          onBody: (chunk: Buffer) => {
            if (written + chunk.length > info.size) {
              throw new ProtocolError(`${what} sent more than the object's ${info.size} bytes`, {
                transient: false,
              });
            }
            file.writeAtSync(chunk, written);
            digest?.update(chunk);
            written += chunk.length;
            // A retry starts over: only bytes past the furthest point reached count as progress.
            if (written > reported) {
              deps.progress.onBytes?.(written - reported);
              reported = written;
            }
          },
        };
        const answer = first;
        first = undefined;
        const received =
          answer === undefined
            ? client.getBody({ method: 'GET', key: info.key, headers, signal: deps.signal }, sink)
            : toSink(answer, sink);
        await received.catch(async (error: unknown) => {
          throw namingRequest(await LocalWriteFailure.explained(error), what);
        });
        if (written < info.size) {
          throw new ProtocolError(
            `${what} body ended at byte ${written} of ${info.size}: the connection dropped`,
            { transient: true },
          );
        }
        return digest?.digest();
      }),
    );
    const crcCheck = checkCrc(settings.crc, info, crc);
    await file.commit(request.destination, new Date(info.lastModified), {
      durable: settings.fsync,
      syncFolder: !context.folderReady,
    });
    temp = undefined;
    return {
      status: 'downloaded',
      path: request.destination,
      info,
      length: info.size,
      bytesDownloaded: info.size,
      crcCheck,
    };
  } finally {
    if (first !== undefined) letGo(first);
    await temp?.discard();
  }
}

function checkCrc(enabled: boolean, info: ObjectInfo, actual: bigint | undefined): CrcCheck {
  if (!enabled || actual === undefined) return 'disabled';
  const expected = info.crc64 === undefined ? undefined : parseCrc64(info.crc64);
  if (expected === undefined) return 'no-crc-header';
  if (actual !== expected) {
    throw new IntegrityError(
      `CRC64 mismatch for '${info.key}': the server says ${info.crc64}, the downloaded bytes give ${formatCrc64(actual)}; ` +
        'nothing was written to the destination. Run again; if it persists, the object or a proxy is corrupting data.',
    );
  }
  return 'verified';
}
