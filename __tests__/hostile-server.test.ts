// A hostile server on loopback: oversized listings and absurd response headers, sent raw so nothing
// in between tidies them up.
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorMessage } from '../src/base/error-message.js';
import { hasControlCharacter } from '../src/base/text.js';
import { parseOptions, type RawInputs } from '../src/config/parse.js';
import { CosError, ProtocolError } from '../src/cos/errors.js';
import { crc64ReferenceDecimal } from '../src/emulator/index.js';
import { IntegrityError } from '../src/transfer/object-result.js';
import { listFolder, removeFolder, run, runMirror, tempFolder } from './helpers/env.js';

interface RawRequest {
  readonly method: string;
  readonly target: string;
}

interface RawServer {
  readonly url: string;
  readonly requests: RawRequest[];
  close(): Promise<void>;
}

/**
 * A server that writes whatever `answer` writes on the socket, headers included: Node's HTTP server
 * refuses to send some of the malformed headers this needs. One request per connection.
 */
async function rawServer(answer: (request: RawRequest, socket: net.Socket) => void): Promise<RawServer> {
  const requests: RawRequest[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    const onData = (data: Buffer): void => {
      head += data.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      const [method = '', target = ''] = head.slice(0, head.indexOf('\r\n')).split(' ');
      const request = { method, target };
      requests.push(request);
      answer(request, socket);
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writes a response head (raw header lines, any bytes) and a body, then closes the connection. */
function respond(
  socket: net.Socket,
  status: string,
  headers: readonly string[],
  body: Buffer | string = '',
): void {
  socket.end(
    Buffer.concat([
      Buffer.from(
        `HTTP/1.1 ${status}\r\n${[...headers, 'Connection: close'].join('\r\n')}\r\n\r\n`,
        'latin1',
      ),
      Buffer.from(body),
    ]),
  );
}

function rawOptions(server: RawServer, cwd: string, raw: RawInputs) {
  return parseOptions(
    {
      bucket: 'examplebucket-1250000000',
      endpoint: server.url,
      'secret-id': 'AKIDrawserverrawserver',
      'secret-key': 'raw-server-ignores-signatures',
      retries: '2',
      timeout: '5s',
      ...raw,
    },
    { cwd, env: {}, isDirectory: () => false },
  );
}

describe('a raw server on loopback', () => {
  let work: string;
  let server: RawServer | undefined;
  beforeEach(async () => {
    work = await tempFolder();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await removeFolder(work);
  });

  describe('an oversized listing', () => {
    it('fails at the cap, without reading the rest or retrying, and writes nothing', async () => {
      const HEAD =
        "<?xml version='1.0' encoding='utf-8' ?>\n<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a</Key><Size>1</Size></Contents><Name>";
      const offered = 96 * 1024 * 1024;
      let sent = 0;
      server = await rawServer((_request, socket) => {
        socket.write(
          `HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: ${offered}\r\nConnection: close\r\n\r\n${HEAD}`,
        );
        sent = HEAD.length;
        const chunk = Buffer.alloc(256 * 1024, 0x78);
        const pump = (): void => {
          while (sent < offered && !socket.destroyed) {
            const piece = chunk.subarray(0, Math.min(chunk.length, offered - sent));
            sent += piece.length;
            if (!socket.write(piece)) {
              socket.once('drain', pump);
              return;
            }
          }
          socket.end();
        };
        pump();
      });
      const failure = await runMirror(
        rawOptions(server, work, { prefix: 'data/', destination: 'mirror' }),
      ).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).cause).toBeInstanceOf(ProtocolError);
      expect(errorMessage(failure)).toMatch(/ListObjects.*larger than 16 MiB/);
      expect(server.requests).toEqual([{ method: 'GET', target: expect.stringContaining('prefix=data%2F') }]);
      expect(sent).toBeLessThan(offered / 2);
      // Nothing but the mirror's own manifest.
      const made = await listFolder(work);
      const files = made.includes('mirror') ? await listFolder(path.join(work, 'mirror')) : made;
      expect(files.filter((name) => !name.startsWith('.cos-download'))).toEqual([]);
    });
  });

  describe('an error answer whose body never ends', () => {
    it('is read up to its cap, then the connection is dropped and the COS code reported', async () => {
      let sent = 0;
      server = await rawServer((request, socket) => {
        if (request.method === 'HEAD') {
          respond(socket, '403 Forbidden', ['Content-Length: 0']);
          return;
        }
        socket.write(
          'HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nTransfer-Encoding: chunked\r\n\r\n',
        );
        const xml = '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>no</Message></Error>';
        socket.write(`${xml.length.toString(16)}\r\n${xml}\r\n`);
        const filler = ' '.repeat(64 * 1024);
        const chunk = `${filler.length.toString(16)}\r\n${filler}\r\n`;
        const pump = (): void => {
          while (!socket.destroyed && sent < 1024 * 1024 * 1024) {
            sent += filler.length;
            if (!socket.write(chunk)) {
              socket.once('drain', pump);
              return;
            }
          }
        };
        pump();
      });
      const failure = await run(rawOptions(server, work, { key: 'obj.bin', destination: 'out.bin' })).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(errorMessage(failure)).toMatch(/AccessDenied/);
      expect(sent).toBeLessThan(64 * 1024 * 1024);
      expect(await listFolder(work)).toEqual([]);
    });
  });

  describe('absurd response headers', () => {
    const KEY = 'obj.bin';
    const BODY = Buffer.from('hello, hostile world\n');
    const SIZE = BODY.length;
    const CRC = crc64ReferenceDecimal(BODY);
    const GOOD_HEAD = [
      `Content-Length: ${SIZE}`,
      'ETag: "0123456789abcdef0123456789abcdef"',
      'Last-Modified: Wed, 21 Oct 2015 07:28:00 GMT',
      `x-cos-hash-crc64ecma: ${CRC}`,
    ];
    const GOOD_GET = [
      'ETag: "0123456789abcdef0123456789abcdef"',
      'Last-Modified: Wed, 21 Oct 2015 07:28:00 GMT',
      `x-cos-hash-crc64ecma: ${CRC}`,
    ];

    /** Header lines with `changes` applied: `name: value` replaces (or adds) the header, `name:` alone removes it. */
    function withHeaders(lines: readonly string[], changes: readonly string[]): string[] {
      const name = (line: string) => line.slice(0, line.indexOf(':')).toLowerCase();
      const changed = new Set(changes.map(name));
      return [
        ...lines.filter((line) => !changed.has(name(line))),
        ...changes.filter((c) => c.slice(c.indexOf(':') + 1).trim() !== '' || c.endsWith(': ')),
      ];
    }

    interface Answer {
      readonly head?: readonly string[];
      readonly get?: readonly string[];
      readonly status?: string;
      readonly body?: Buffer;
    }

    async function serve(answer: Answer): Promise<RawServer> {
      return rawServer((request, socket) => {
        if (request.method === 'HEAD') {
          respond(socket, '200 OK', withHeaders(GOOD_HEAD, answer.head ?? []));
          return;
        }
        const body = answer.body ?? BODY;
        const lines = withHeaders(
          [`Content-Range: bytes 0-${SIZE - 1}/${SIZE}`, `Content-Length: ${body.length}`, ...GOOD_GET],
          answer.get ?? [],
        );
        respond(socket, answer.status ?? '206 Partial Content', lines, body);
      });
    }

    async function download(answer: Answer): Promise<unknown> {
      server = await serve(answer);
      return run(rawOptions(server, work, { key: KEY, destination: 'out/file.bin' })).then(
        (result) => result,
        (error: unknown) => error,
      );
    }

    it('downloads from the raw server when every header is sound (the control case)', async () => {
      const result = await download({});
      expect(result).not.toBeInstanceOf(Error);
      expect(await listFolder(path.join(work, 'out'))).toEqual(['file.bin']);
    });

    type Failure = typeof CosError | typeof ProtocolError | typeof IntegrityError;
    it.each<[string, Answer, Failure, RegExp]>([
      ['HEAD Content-Length -1', { head: ['Content-Length: -1'] }, ProtocolError, /Content-Length/],
      ['HEAD Content-Length abc', { head: ['Content-Length: abc'] }, ProtocolError, /Content-Length/],
      ['HEAD Content-Length 1e3', { head: ['Content-Length: 1e3'] }, ProtocolError, /content-length/i],
      [
        'HEAD Content-Length 2^64',
        { head: ['Content-Length: 18446744073709551616'] },
        ProtocolError,
        /content-length/i,
      ],
      [
        'HEAD Content-Length 2^53-1',
        { head: ['Content-Length: 9007199254740991'] },
        CosError,
        /Content-Length '9007199254740991'/,
      ],
      [
        'HEAD Content-Length past the largest object',
        { head: [`Content-Length: ${10_000 * 5 * 1024 ** 3 + 1}`] },
        CosError,
        /Content-Length/,
      ],
      [
        'HEAD with two Content-Lengths',
        { head: [`Content-Length: ${SIZE}`, `Content-Length: ${SIZE + 1}`] },
        ProtocolError,
        /HTTP\/1\.1|Content-Length/,
      ],
      ['HEAD without Content-Length', { head: ['Content-Length:'] }, CosError, /no Content-Length/],
      ['HEAD without ETag', { head: ['ETag:'] }, CosError, /ETag/],
      ['HEAD with an empty ETag', { head: ['ETag: '] }, CosError, /ETag/],
      [
        'x-cos-hash-crc64ecma 2^64',
        { head: ['x-cos-hash-crc64ecma: 18446744073709551616'] },
        CosError,
        /crc64/i,
      ],
      [
        'x-cos-hash-crc64ecma 10^40',
        { head: [`x-cos-hash-crc64ecma: ${'9'.repeat(40)}`] },
        CosError,
        /crc64/i,
      ],
      ['x-cos-hash-crc64ecma abc', { head: ['x-cos-hash-crc64ecma: abc'] }, CosError, /crc64/i],
      ['x-cos-hash-crc64ecma -1', { head: ['x-cos-hash-crc64ecma: -1'] }, CosError, /crc64/i],
      ['x-cos-hash-crc64ecma 0x1f', { head: ['x-cos-hash-crc64ecma: 0x1f'] }, CosError, /crc64/i],
      [
        'x-cos-hash-crc64ecma wrong',
        { head: ['x-cos-hash-crc64ecma: 12345'] },
        IntegrityError,
        /CRC64 mismatch/,
      ],
      [
        'x-cos-hash-crc64ecma non-numeric on the GET only',
        { head: ['x-cos-hash-crc64ecma:'], get: ['x-cos-hash-crc64ecma: abc'] },
        ProtocolError,
        /crc64/i,
      ],
      [
        'Content-Range beyond the object',
        { get: [`Content-Range: bytes 0-${SIZE * 2 - 1}/${SIZE}`] },
        ProtocolError,
        /Content-Range/,
      ],
      [
        'Content-Range past its end',
        { get: [`Content-Range: bytes ${SIZE}-${SIZE * 2 - 1}/${SIZE * 2}`] },
        ProtocolError,
        /Content-Range/,
      ],
      [
        'Content-Range total disagreeing with the size',
        { get: [`Content-Range: bytes 0-${SIZE - 1}/${SIZE + 1}`] },
        ProtocolError,
        /Content-Range/,
      ],
      [
        'Content-Range negative',
        { get: [`Content-Range: bytes -1-${SIZE - 1}/${SIZE}`] },
        ProtocolError,
        /Content-Range/,
      ],
      ['no Content-Range', { get: ['Content-Range:'] }, ProtocolError, /Content-Range/],
      ['200 instead of 206', { status: '200 OK', get: ['Content-Range:'] }, ProtocolError, /206/],
      ['GET Content-Length -1', { get: ['Content-Length: -1'] }, ProtocolError, /HTTP\/1\.1.*Content-Length/],
      [
        'GET Content-Length disagreeing with the range',
        { get: [`Content-Length: ${SIZE + 5}`], body: Buffer.concat([BODY, Buffer.from('extra')]) },
        ProtocolError,
        /Content-Length/,
      ],
      [
        'GET body shorter than its Content-Length',
        { get: [`Content-Length: ${SIZE}`], body: BODY.subarray(0, 5) },
        ProtocolError,
        // Retried from byte 5, which this server answers with the whole range again.
        /bytes=5-20 answered Content-Range/,
      ],
      [
        'GET body longer than the range, without Content-Length',
        { get: ['Content-Length:'], body: Buffer.concat([BODY, Buffer.from('extra')]) },
        ProtocolError,
        /more bytes/,
      ],
    ])('%s: rejected with a clear error, nothing written', async (_name, answer, type, pattern) => {
      const failure = await download(answer);
      expect(failure).toBeInstanceOf(type);
      const message = errorMessage(failure);
      expect(message).toMatch(pattern);
      expect(message).toContain(KEY);
      expect(hasControlCharacter(message)).toBe(false);
      const left = await listFolder(work);
      expect(left.includes('out') ? await listFolder(path.join(work, 'out')) : left).toEqual([]);
    });
  });
});
