// A plain HTTP server on 127.0.0.1 that serves one body and honours single ranges and If-Match, as an
// object store or a CDN other than COS does: no x-cos-* headers, and an ETag (or not) as told. For
// links to stores that are not COS, and for servers that send less than COS does.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RangeServerOptions {
  readonly body: Buffer;
  /** The ETag header (or, given the request's number from 1, a function of it); `false` sends none. Default: a strong ETag. */
  readonly etag?: string | false | ((request: number) => string);
  /** Serve the range whatever If-Match says (a server or cache that ignores it). */
  readonly ignoreIfMatch?: boolean;
  /** An `x-cos-hash-crc64ecma` header to send (default: none). */
  readonly crc64?: string;
  /** Answer ranged GETs with 200 and the whole body. */
  readonly ignoreRange?: boolean;
}

export interface ServedRequest {
  readonly method: string;
  readonly url: string;
  readonly range: string | undefined;
  readonly ifMatch: string | undefined;
}

export interface RangeServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly requests: ServedRequest[];
  close(): Promise<void>;
}

function answer(
  req: IncomingMessage,
  res: import('node:http').ServerResponse,
  options: RangeServerOptions,
  count: number,
) {
  const { body } = options;
  const etag =
    options.etag === undefined
      ? '"range-server-etag-1"'
      : typeof options.etag === 'function'
        ? options.etag(count)
        : options.etag;
  const headers: Record<string, string> = {
    'last-modified': new Date(Date.UTC(2026, 0, 2, 3, 4, 5)).toUTCString(),
    'accept-ranges': 'bytes',
    ...(etag === false ? {} : { etag }),
    ...(options.crc64 === undefined ? {} : { 'x-cos-hash-crc64ecma': options.crc64 }),
  };
  const ifMatch = req.headers['if-match'];
  if (ifMatch !== undefined && etag !== false && ifMatch !== etag && options.ignoreIfMatch !== true) {
    res.writeHead(412, { 'content-length': 0 });
    res.end();
    return;
  }
  const match = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (match === null || options.ignoreRange === true) {
    res.writeHead(200, { ...headers, 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  const first = Number(match[1]);
  if (first >= body.length) {
    res.writeHead(416, { 'content-range': `bytes */${body.length}`, 'content-length': 0 });
    res.end();
    return;
  }
  const last = Math.min(match[2] === '' ? body.length - 1 : Number(match[2]), body.length - 1);
  res.writeHead(206, {
    ...headers,
    'content-range': `bytes ${first}-${last}/${body.length}`,
    'content-length': last - first + 1,
  });
  res.end(req.method === 'HEAD' ? undefined : body.subarray(first, last + 1));
}

export async function startRangeServer(options: RangeServerOptions): Promise<RangeServer> {
  const requests: ServedRequest[] = [];
  const server: Server = createServer((req, res) => {
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      range: req.headers.range,
      ifMatch: req.headers['if-match'] as string | undefined,
    });
    answer(req, res, options, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
