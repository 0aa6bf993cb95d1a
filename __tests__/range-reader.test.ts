// The receive path of object bytes: the strict HTTP/1.1 response parser (pure, fed every split of
// the wire), the keep-alive range reader against raw TCP servers on loopback that send exactly the
// bytes a test chooses, the reader over verified TLS, and CosClient.getBody against the emulator.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { createServer as createHttpsServer } from 'node:https';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CosClient } from '../src/cos/client.js';
import { ClosedEarly, CosError, MalformedResponse, ProtocolError, TlsError } from '../src/cos/errors.js';
import { type ResponseHeaders, ResponseParser } from '../src/cos/http-response.js';
import {
  type BodyAnswer,
  type BodyRequest,
  RangeReader,
  type RangeReaderOptions,
} from '../src/cos/range-reader.js';
import { optionsFor, removeFolder, tempFolder } from './helpers/env.js';
import { makeTestCa, type TestCa } from './helpers/proxy-stack.js';
import { useEmulator } from './helpers/use-emulator.js';

const KiB = 1024;
const hooks = path.resolve(import.meta.dirname, 'helpers/ts-source.ts');

// ---------------------------------------------------------------------------------------------
// Parser harness

interface Parsed {
  readonly heads: { status: number; headers: ResponseHeaders }[];
  readonly body: Buffer;
  /** The keepAlive of every onComplete call, in order. */
  readonly completes: boolean[];
  readonly parser: ResponseParser;
}

/** A parser that records what it delivers (body slices copied: the fed buffer may be reused). */
function recorder(options: { head?: boolean } = {}) {
  const heads: Parsed['heads'] = [];
  const chunks: Buffer[] = [];
  const completes: boolean[] = [];
  const parser = new ResponseParser(
    {
      onHead: (status, headers) => heads.push({ status, headers }),
      onBody: (chunk) => chunks.push(Buffer.from(chunk)),
      onComplete: (keepAlive) => completes.push(keepAlive),
    },
    options,
  );
  return {
    parser,
    heads,
    completes,
    get body(): Buffer {
      return Buffer.concat(chunks);
    },
  };
}

/** Feeds `wire` cut at `cuts` (offsets, any order), each piece from the start of a reused buffer. */
function parse(
  wire: Buffer | string,
  cuts: readonly number[] = [],
  options: { head?: boolean } = {},
): Parsed {
  const bytes = typeof wire === 'string' ? Buffer.from(wire, 'latin1') : wire;
  const r = recorder(options);
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  const scratch = Buffer.alloc(bytes.length + 8, 0x5a);
  let from = 0;
  for (const to of [...points, bytes.length]) {
    // A reused read buffer, as the reader's: the piece at offset 3, stale bytes after it.
    scratch.fill(0x5a);
    bytes.copy(scratch, 3, from, to);
    r.parser.feed(scratch, 3, 3 + (to - from));
    from = to;
  }
  return { heads: r.heads, body: r.body, completes: r.completes, parser: r.parser };
}

/** Feeds `wire` one byte at a time. */
function parseBytewise(wire: Buffer | string, options: { head?: boolean } = {}): Parsed {
  const bytes = typeof wire === 'string' ? Buffer.from(wire, 'latin1') : wire;
  const r = recorder(options);
  for (let i = 0; i < bytes.length; i++) r.parser.feed(bytes, i, i + 1);
  return { heads: r.heads, body: r.body, completes: r.completes, parser: r.parser };
}

/** The error `action` throws (fails the test when it throws nothing). */
function thrown(action: () => void): unknown {
  try {
    action();
  } catch (error: unknown) {
    return error;
  }
  throw new Error('expected a throw');
}

const every = (n: number): number[] => Array.from({ length: n + 1 }, (_, i) => i);

/** A chunked body: `body` cut into chunks of `sizes` (cycled), with optional extensions and trailers. */
function chunked(body: Buffer, sizes: readonly number[], extension = false, trailer = false): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (let i = 0; at < body.length; i++) {
    const size = Math.min(sizes[i % sizes.length] ?? 1, body.length - at);
    parts.push(Buffer.from(`${size.toString(16)}${extension ? ';name="v"; x' : ''}\r\n`));
    parts.push(body.subarray(at, at + size), Buffer.from('\r\n'));
    at += size;
  }
  parts.push(
    Buffer.from(`0${extension ? ';last' : ''}\r\n${trailer ? 'x-trailer: 1\r\nx-other: two\r\n' : ''}\r\n`),
  );
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------
// Raw TCP servers

interface Exchange {
  readonly socket: net.Socket;
  /** 1-based number of the connection, in accept order. */
  readonly connection: number;
  /** 1-based number of this request on its connection. */
  readonly nth: number;
  readonly path: string;
  /** The request head, without the blank line. */
  readonly head: string;
}

type Respond = (exchange: Exchange) => void;

interface RawServer {
  readonly url: string;
  /** Connections accepted so far. */
  readonly connections: () => number;
  /** Every request received, as `c<connection>#<nth> <path>`. */
  readonly requests: string[];
  /** Every byte received, per connection (index 0 is connection 1). */
  readonly received: string[];
  /** Resolves when the server side of connection `n` closed. */
  closed(n: number): Promise<void>;
  respond: Respond;
  close(): Promise<void>;
}

const servers: { close(): Promise<void> }[] = [];
const readers: RangeReader[] = [];

afterEach(async () => {
  for (const reader of readers.splice(0)) await reader.close();
  for (const server of servers.splice(0)) await server.close();
});

async function rawServer(respond: Respond): Promise<RawServer> {
  const sockets = new Set<net.Socket>();
  const closes: { promise: Promise<void>; resolve: () => void }[] = [];
  const closeOf = (n: number) => {
    while (closes.length < n) {
      let resolve = () => {};
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      closes.push({ promise, resolve });
    }
    return closes[n - 1] as { promise: Promise<void>; resolve: () => void };
  };
  let accepted = 0;
  const requests: string[] = [];
  const received: string[] = [];
  const state: RawServer = {
    url: '',
    connections: () => accepted,
    requests,
    received,
    closed: (n) => closeOf(n).promise,
    respond,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = net.createServer((socket) => {
    const connection = ++accepted;
    sockets.add(socket);
    socket.setNoDelay(true);
    received[connection - 1] = '';
    let text = '';
    let nth = 0;
    socket.on('data', (data) => {
      received[connection - 1] += data.toString('latin1');
      text += data.toString('latin1');
      for (let end = text.indexOf('\r\n\r\n'); end !== -1; end = text.indexOf('\r\n\r\n')) {
        const head = text.slice(0, end);
        text = text.slice(end + 4);
        const path = head.split(' ')[1] ?? '';
        nth++;
        requests.push(`c${connection}#${nth} ${path}`);
        state.respond({ socket, connection, nth, path, head });
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      closeOf(connection).resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  Object.assign(state, { url: `http://127.0.0.1:${port}` });
  servers.push(state);
  return state;
}

/** An HTTP/1.1 answer with a Content-Length body. */
function ok(body: string | Buffer, status = 200, extra = ''): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const reason = status === 206 ? 'Partial Content' : 'OK';
  return Buffer.concat([
    Buffer.from(`HTTP/1.1 ${status} ${reason}\r\ncontent-length: ${bytes.length}\r\n${extra}\r\n`),
    bytes,
  ]);
}

/** Answers every request with its path as the body. */
const echoPath: Respond = ({ socket, path }) => {
  socket.write(ok(`body of ${path}`));
};

function reader(server: { url: string }, options: Partial<RangeReaderOptions> = {}): RangeReader {
  const made = new RangeReader(server.url, { connections: 4, timeoutMs: 3000, ...options });
  readers.push(made);
  return made;
}

interface Got {
  readonly answer: BodyAnswer;
  readonly body: Buffer;
  /** Statuses onHead saw. */
  readonly heads: number[];
}

/** One request; the body slices, copied. */
async function get(
  from: RangeReader,
  path: string,
  extra: Partial<Omit<BodyRequest, 'path' | 'onBody'>> & { onBody?: (chunk: Buffer) => void } = {},
): Promise<Got> {
  const chunks: Buffer[] = [];
  const heads: number[] = [];
  const answer = await from.request({
    path,
    headers: {},
    ...extra,
    onHead: (status, headers) => {
      heads.push(status);
      extra.onHead?.(status, headers);
    },
    onBody: (chunk) => {
      extra.onBody?.(chunk);
      chunks.push(Buffer.from(chunk));
    },
  });
  return { answer, body: Buffer.concat(chunks), heads };
}

/** `promise`'s rejection (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

/** `promise`, or a failure naming `what` after `ms`: a wait that cannot hang the test. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------

describe('ResponseParser: bodies and framing', () => {
  const body = 'hello, ranged world';
  const lengthWire = `HTTP/1.1 206 Partial Content\r\nContent-Length: ${body.length}\r\nContent-Range: bytes 0-18/100\r\n\r\n${body}`;

  it('a Content-Length body split at every byte boundary, and fed a byte at a time', () => {
    for (const cut of every(lengthWire.length)) {
      const parsed = parse(lengthWire, [cut]);
      expect(parsed.body.toString(), `cut at ${cut}`).toBe(body);
      expect(parsed.completes, `cut at ${cut}`).toEqual([true]);
      expect(parsed.heads).toEqual([
        { status: 206, headers: { 'content-length': '19', 'content-range': 'bytes 0-18/100' } },
      ]);
    }
    const bytewise = parseBytewise(lengthWire);
    expect(bytewise.body.toString()).toBe(body);
    expect(bytewise.completes).toEqual([true]);
    expect(bytewise.parser.done).toBe(true);
  });

  it('keeps repeated headers in order and lower-cases names', () => {
    const parsed = parse('HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a:2\r\nX-B:  spaced  \r\nContent-Length: 0\r\n\r\n');
    expect(parsed.heads[0]?.headers).toEqual({ 'x-a': ['1', '2'], 'x-b': 'spaced', 'content-length': '0' });
    expect(parsed.completes).toEqual([true]);
  });

  it('a chunked body with extensions and trailers', () => {
    const payload = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
    const wire = Buffer.concat([
      Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'),
      chunked(payload, [5, 1, 16], true, true),
    ]);
    const parsed = parse(wire);
    expect(parsed.body.toString()).toBe(payload.toString());
    expect(parsed.completes).toEqual([true]);
    // Upper-case hex sizes and a zero-padded size are chunk sizes too.
    const upper = parse(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n00A\r\n0123456789\r\n0\r\n\r\n',
    );
    expect(upper.body.toString()).toBe('0123456789');
    expect(upper.completes).toEqual([true]);
  });

  it('a chunked body split at every byte boundary, and fed a byte at a time', () => {
    const payload = randomBytes(300);
    const wire = Buffer.concat([
      Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n'),
      chunked(payload, [1, 17, 100, 2], true, true),
    ]);
    for (const cut of every(wire.length)) {
      const parsed = parse(wire, [cut]);
      expect(Buffer.compare(parsed.body, payload), `cut at ${cut}`).toBe(0);
      expect(parsed.completes, `cut at ${cut}`).toEqual([true]);
    }
    for (const cut of every(wire.length)) {
      // Two cuts, close together: every line and the CRLF after each chunk split twice.
      const parsed = parse(wire, [cut, cut + 1]);
      expect(Buffer.compare(parsed.body, payload), `cuts at ${cut}, ${cut + 1}`).toBe(0);
    }
    const bytewise = parseBytewise(wire);
    expect(Buffer.compare(bytewise.body, payload)).toBe(0);
    expect(bytewise.completes).toEqual([true]);
  });

  it('skips 100 Continue and 103 Early Hints before the final response, in one read or split', () => {
    const wire =
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
    for (const cut of every(wire.length)) {
      const parsed = parse(wire, [cut]);
      expect(
        parsed.heads.map((h) => h.status),
        `cut at ${cut}`,
      ).toEqual([200]);
      expect(parsed.heads[0]?.headers, `cut at ${cut}`).toEqual({ 'content-length': '2' });
      expect(parsed.body.toString()).toBe('ok');
      expect(parsed.completes).toEqual([true]);
    }
  });

  it('a response to HEAD has no body, whatever its Content-Length says', () => {
    const parsed = parse('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n', [], { head: true });
    expect(parsed.heads[0]?.status).toBe(200);
    expect(parsed.body.length).toBe(0);
    expect(parsed.completes).toEqual([true]);
    expect(parsed.parser.done).toBe(true);
    // The same head for a GET waits for the 1000 bytes.
    const get = parse('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n');
    expect(get.completes).toEqual([]);
    expect(get.parser.done).toBe(false);
  });

  it.each([
    ['204 No Content', 'HTTP/1.1 204 No Content\r\nContent-Length: 12\r\n\r\n'],
    ['304 Not Modified', 'HTTP/1.1 304 Not Modified\r\nContent-Length: 500\r\nETag: "x"\r\n\r\n'],
    ['Content-Length: 0', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'],
  ])('%s: complete at the end of the head, with no body', (_name, wire) => {
    const parsed = parse(wire);
    expect(parsed.body.length).toBe(0);
    expect(parsed.completes).toEqual([true]);
    expect(parsed.parser.done).toBe(true);
  });

  it('a body with neither length nor chunking runs to the end of the connection, never kept alive', () => {
    const parsed = parse('HTTP/1.1 200 OK\r\nX: y\r\n\r\nuntil the end', [20, 30]);
    expect(parsed.completes).toEqual([]);
    parsed.parser.end();
    expect(parsed.body.toString()).toBe('until the end');
    expect(parsed.completes).toEqual([false]);
    expect(parsed.parser.done).toBe(true);
  });

  it.each([
    ['HTTP/1.1, no Connection header', 'HTTP/1.1 200 OK\r\n', true],
    ['HTTP/1.1, Connection: close', 'HTTP/1.1 200 OK\r\nConnection: close\r\n', false],
    [
      'HTTP/1.1, Connection: Keep-Alive, Close',
      'HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\n',
      false,
    ],
    ['HTTP/1.1, Connection: CLOSE', 'HTTP/1.1 200 OK\r\nConnection: CLOSE\r\n', false],
    ['HTTP/1.0, no Connection header', 'HTTP/1.0 200 OK\r\n', false],
    ['HTTP/1.0, Connection: keep-alive', 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n', true],
    ['HTTP/1.0, Connection: Keep-Alive', 'HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n', true],
  ])('keep-alive: %s → %s', (_name, head, keepAlive) => {
    const parsed = parse(`${head}Content-Length: 3\r\n\r\nabc`);
    expect(parsed.body.toString()).toBe('abc');
    expect(parsed.completes).toEqual([keepAlive]);
  });

  it('end() after a complete response is quiet; a framed body is never completed by end()', () => {
    const parsed = parse('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx');
    expect(() => parsed.parser.end()).not.toThrow();
    expect(parsed.completes).toEqual([true]);
  });
});

describe('ResponseParser: refusals', () => {
  /** The MalformedResponse `wire` is refused with (split at `cuts`), and no onHead/onComplete for it. */
  function refusal(wire: string | Buffer, cuts: number[] = [], heads = 0): MalformedResponse {
    const bytes = typeof wire === 'string' ? Buffer.from(wire, 'latin1') : wire;
    const r = recorder();
    const error = thrown(() => {
      let from = 0;
      for (const to of [...cuts, bytes.length]) {
        r.parser.feed(bytes, from, to);
        from = to;
      }
    });
    expect(error).toBeInstanceOf(MalformedResponse);
    expect(error).not.toBeInstanceOf(ClosedEarly);
    expect((error as MalformedResponse).transient).toBe(false);
    expect(r.heads).toHaveLength(heads);
    expect(r.completes).toEqual([]);
    return error as MalformedResponse;
  }

  const head = (lines: string) => `HTTP/1.1 200 OK\r\n${lines}\r\n`;

  it.each([
    [
      'both Transfer-Encoding and Content-Length',
      head('Transfer-Encoding: chunked\r\nContent-Length: 5\r\n'),
      /both Transfer-Encoding and Content-Length/,
    ],
    [
      'Content-Length before Transfer-Encoding',
      head('Content-Length: 5\r\nTransfer-Encoding: chunked\r\n'),
      /both Transfer-Encoding and Content-Length/,
    ],
    ['Transfer-Encoding: gzip', head('Transfer-Encoding: gzip\r\n'), /Transfer-Encoding 'gzip'/],
    ['Transfer-Encoding: gzip, chunked', head('Transfer-Encoding: gzip, chunked\r\n'), /Transfer-Encoding/],
    [
      'Transfer-Encoding: chunked, chunked',
      head('Transfer-Encoding: chunked, chunked\r\n'),
      /Transfer-Encoding/,
    ],
    [
      'two Transfer-Encoding headers',
      head('Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n'),
      /Transfer-Encoding/,
    ],
    ['Transfer-Encoding: identity', head('Transfer-Encoding: identity\r\n'), /Transfer-Encoding 'identity'/],
    ['Content-Length: -1', head('Content-Length: -1\r\n'), /Content-Length '-1'/],
    ['Content-Length: 1e3', head('Content-Length: 1e3\r\n'), /Content-Length '1e3'/],
    ['Content-Length: 0x10', head('Content-Length: 0x10\r\n'), /Content-Length '0x10'/],
    ['Content-Length: empty', head('Content-Length: \r\n'), /Content-Length ''/],
    ['Content-Length: 5, 5 (a list)', head('Content-Length: 5, 5\r\n'), /Content-Length '5, 5'/],
    [
      'two different Content-Lengths',
      head('Content-Length: 5\r\nContent-Length: 6\r\n'),
      /Content-Length '5, 6'/,
    ],
    ['Content-Length beyond 2^53', head('Content-Length: 9999999999999999\r\n'), /Content-Length/],
    ['Content-Length of 17 digits', head('Content-Length: 00000000000000001\r\n'), /Content-Length/],
  ])('framing: %s', (_name, wire, message) => {
    expect(refusal(wire).message).toMatch(message);
  });

  it('two equal Content-Length headers are one length', () => {
    const parsed = parse(`${head('Content-Length: 3\r\nContent-Length: 3\r\n')}abc`);
    expect(parsed.body.toString()).toBe('abc');
    expect(parsed.completes).toEqual([true]);
  });

  it.each([
    ['HTTP/2 200 OK'],
    ['HTTP/1.2 200 OK'],
    ['http/1.1 200 OK'],
    ['HTTP/1.1 2000 OK'],
    ['HTTP/1.1 20 OK'],
    ['HTTP/1.1 099 Low'],
    ['HTTP/1.1  200 OK'],
    ['HTTP/1.1 200 O\x01K'],
    ['ICY 200 OK'],
    [' HTTP/1.1 200 OK'],
    [''],
  ])('status line %j', (line) => {
    expect(refusal(`${line}\r\nContent-Length: 0\r\n\r\n`).message).toMatch(/status line/);
  });

  it('101 Switching Protocols was never asked for', () => {
    expect(refusal('HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n').message).toMatch(
      /protocol switch/,
    );
  });

  it.each([
    ['a header without a colon', 'X-No-Colon\r\n'],
    ['an empty header name', ': value\r\n'],
    ['a space before the colon', 'X-A : v\r\n'],
    ['an obs-fold continuation line', 'X-A: v\r\n  folded\r\n'],
    ['a space in the name', 'X A: v\r\n'],
    ['a NUL in the value', 'X-A: a\x00b\r\n'],
    ['a control character in the value', 'X-A: a\x01b\r\n'],
    ['DEL in the value', 'X-A: a\x7fb\r\n'],
    ['a bare LF inside the value', 'X-A: a\nb\r\n'],
    ['a bare CR inside the value', 'X-A: a\rb\r\n'],
    ['ESC in the value', 'X-A: \x1b[31mred\r\n'],
  ])('%s', (_name, line) => {
    expect(refusal(head(`${line}Content-Length: 0\r\n`)).message).toMatch(/malformed header line/);
  });

  it('a head larger than 64 KiB, whole or arriving in pieces (never waiting for more)', () => {
    const huge = head(`X-Pad: ${'a'.repeat(70 * KiB)}\r\nContent-Length: 0\r\n`);
    expect(refusal(huge).message).toMatch(/headers larger than 64 KiB/);
    expect(refusal(huge, [10, 40 * KiB, 60 * KiB]).message).toMatch(/headers larger than 64 KiB/);
    // Without a blank line in sight, the parser refuses once it holds more than 64 KiB.
    const r = recorder();
    const endless = Buffer.alloc(16 * KiB, 0x61);
    r.parser.feed(Buffer.from('HTTP/1.1 200 OK\r\nX-Pad: '));
    const error = thrown(() => {
      for (let i = 0; i < 10; i++) r.parser.feed(endless);
    });
    expect(error).toBeInstanceOf(MalformedResponse);
  });

  it('a head just under 64 KiB is read', () => {
    const padded = `${head(`X-Pad: ${'a'.repeat(60 * KiB)}\r\nContent-Length: 1\r\n`)}z`;
    const parsed = parse(padded, [1000, 30 * KiB]);
    expect(parsed.body.toString()).toBe('z');
    expect(parsed.completes).toEqual([true]);
  });

  // The limit is on the head before its blank line, whether it arrives whole or split (a parser that
  // measured a split head with its blank line would read or refuse the same bytes by where they split).
  it('the 64 KiB head limit does not depend on where the bytes are split', () => {
    const start = 'HTTP/1.1 200 OK\r\nX-Pad: ';
    const end = '\r\nContent-Length: 0';
    const text = `${start}${'a'.repeat(64 * KiB - start.length - end.length)}${end}`; // exactly 64 KiB
    const wire = `${text}\r\n\r\n`;
    const whole = parse(wire);
    expect(whole.completes).toEqual([true]);
    const split = (() => {
      try {
        return parse(wire, [wire.length - 1]).completes;
      } catch (error: unknown) {
        return error instanceof Error ? error.message : String(error);
      }
    })();
    expect(split).toEqual(whole.completes);
  });

  // Only SP and HTAB are optional whitespace: a control character at either end of a value (VT, FF,
  // a bare CR, a bare LF) is refused as it is inside the value (a `trim()` would strip and accept it).
  it.each([
    ['VT at the start of a value', 'X-A: \x0bv\r\n'],
    ['FF at the end of a value', 'X-A: v\x0c\r\n'],
    ['a bare CR at the end of a value', 'X-A: v\r\r\n'],
    ['a bare LF at the end of a value (a lenient parser sees the head end here)', 'X-A: v\n\r\n'],
  ])('control characters at the edge of a value: %s', (_name, line) => {
    expect(refusal(head(`${line}Content-Length: 0\r\n`)).message).toMatch(/malformed header line/);
  });

  const chunkedHead = head('Transfer-Encoding: chunked\r\n');

  it.each([
    ['garbage', 'zz\r\n'],
    ['a negative size', '-5\r\n'],
    ['a 0x prefix', '0x5\r\n'],
    ['an empty size line', '\r\n'],
    ['a space before the size', ' 5\r\nhello\r\n'],
    ['a space after the size', '5 \r\nhello\r\n'],
    ['13 hex digits', '1000000000000\r\n'],
    ['a size line ended by a bare LF', '5\nhello\r\n0\r\n\r\n'],
    ['a control character in an extension', '5;a\x01b\r\nhello\r\n0\r\n\r\n'],
  ])('chunk size: %s', (_name, rest) => {
    expect(refusal(chunkedHead + rest, [], 1).message).toMatch(/chunk size|chunk line/);
  });

  it('a chunk line longer than 1 KiB, whole or split', () => {
    const long = `5;${'e'.repeat(2 * KiB)}\r\nhello\r\n0\r\n\r\n`;
    expect(refusal(chunkedHead + long, [], 1).message).toMatch(/chunk line longer than 1 KiB/);
    expect(refusal(chunkedHead + long, [chunkedHead.length + 500], 1).message).toMatch(/longer than 1 KiB/);
    // A line with no end in sight is refused as soon as it passes 1 KiB.
    const r = recorder();
    r.parser.feed(Buffer.from(chunkedHead));
    const error = thrown(() => {
      for (let i = 0; i < 10; i++) r.parser.feed(Buffer.alloc(200, 0x31));
    });
    expect(error).toBeInstanceOf(MalformedResponse);
  });

  it.each([
    ['data longer than its chunk size', '5\r\nhelloX\r\n0\r\n\r\n'],
    ['chunk data not followed by CRLF', '5\r\nhello0\r\n\r\n'],
    ['chunk data followed by a bare LF', '5\r\nhello\n0\r\n\r\n'],
  ])('chunk data: %s', (_name, rest) => {
    expect(refusal(chunkedHead + rest, [], 1).message).toMatch(/chunk/);
  });

  it.each([
    ['after a Content-Length body', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokX'],
    ['after a chunked body', `${chunkedHead}2\r\nok\r\n0\r\n\r\nX`],
    ['after a 204', 'HTTP/1.1 204 No Content\r\n\r\nH'],
  ])('bytes after the end of the response: %s', (_name, wire) => {
    const r = recorder();
    const bytes = Buffer.from(wire);
    expect(thrown(() => r.parser.feed(bytes))).toBeInstanceOf(MalformedResponse);
    // The response itself was read whole before the stray byte was seen.
    expect(r.completes).toEqual([true]);
    const late = recorder();
    late.parser.feed(bytes, 0, bytes.length - 1);
    expect(late.completes).toEqual([true]);
    const error = thrown(() => late.parser.feed(bytes, bytes.length - 1));
    expect((error as Error).message).toMatch(/bytes after the end of the response/);
  });

  it.each([
    ['nothing at all', ''],
    ['half a status line', 'HTTP/1.1 20'],
    ['a head without its blank line', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n'],
    ['a short Content-Length body', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc'],
    ['a chunked body before its last chunk', `${chunkedHead}3\r\nabc\r\n`],
    ['inside a chunk', `${chunkedHead}5\r\nab`],
    ['inside the trailers', `${chunkedHead}0\r\nx-t: 1\r\n`],
    ['after a 100 Continue', 'HTTP/1.1 100 Continue\r\n\r\n'],
  ])('end() before the response ended: %s → ClosedEarly, transient', (_name, wire) => {
    const r = recorder();
    if (wire !== '') r.parser.feed(Buffer.from(wire));
    const error = thrown(() => r.parser.end());
    expect(error).toBeInstanceOf(ClosedEarly);
    expect((error as ClosedEarly).transient).toBe(true);
    expect(r.completes).toEqual([]);
  });
});

describe('ResponseParser: properties', () => {
  const framing = fc.oneof(
    fc.record({ kind: fc.constant('length' as const) }),
    fc.record({
      kind: fc.constant('chunked' as const),
      sizes: fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 12 }),
      extension: fc.boolean(),
      trailer: fc.boolean(),
    }),
  );
  const response = fc.record({
    body: fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)),
    framing,
    status: fc.constantFrom(200, 206, 403, 500),
    continue: fc.boolean(),
  });

  type Generated = typeof response extends fc.Arbitrary<infer T> ? T : never;

  function wireOf(r: Generated): Buffer {
    const preface = r.continue ? 'HTTP/1.1 100 Continue\r\n\r\n' : '';
    if (r.framing.kind === 'length') {
      return Buffer.concat([
        Buffer.from(`${preface}HTTP/1.1 ${r.status} X\r\nContent-Length: ${r.body.length}\r\n\r\n`),
        r.body,
      ]);
    }
    return Buffer.concat([
      Buffer.from(`${preface}HTTP/1.1 ${r.status} X\r\nTransfer-Encoding: chunked\r\n\r\n`),
      chunked(r.body, r.framing.sizes, r.framing.extension, r.framing.trailer),
    ]);
  }

  it('delivers exactly the body and completes once, however the wire bytes are split', () => {
    fc.assert(
      fc.property(response, fc.array(fc.nat(), { maxLength: 16 }), (r, cuts) => {
        const wire = wireOf(r);
        const parsed = parse(
          wire,
          cuts.map((c) => c % (wire.length + 1)),
        );
        expect(parsed.heads.map((h) => h.status)).toEqual([r.status]);
        expect(Buffer.compare(parsed.body, r.body)).toBe(0);
        expect(parsed.completes).toEqual([true]);
        expect(parsed.parser.done).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  /** Flips, inserts and deletes bytes of a valid response. */
  const mutated = fc
    .tuple(
      response.map(wireOf),
      fc.array(
        fc.record({
          at: fc.nat(),
          byte: fc.integer({ min: 0, max: 255 }),
          op: fc.constantFrom('set', 'insert', 'delete'),
        }),
        { minLength: 1, maxLength: 6 },
      ),
    )
    .map(([wire, edits]) => {
      const bytes = [...wire];
      for (const edit of edits) {
        const at = edit.at % (bytes.length + 1);
        if (edit.op === 'insert') bytes.splice(at, 0, edit.byte);
        else if (edit.op === 'delete') bytes.splice(at, 1);
        else if (at < bytes.length) bytes[at] = edit.byte;
      }
      return Buffer.from(bytes);
    });
  const garbage = fc.oneof(
    fc.uint8Array({ maxLength: 2048 }).map((a) => Buffer.from(a)),
    fc
      .uint8Array({ maxLength: 2048 })
      .map((a) => Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\n'), Buffer.from(a)])),
    fc
      .uint8Array({ maxLength: 2048 })
      .map((a) =>
        Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), Buffer.from(a)]),
      ),
    mutated,
  );

  it('garbage throws nothing but a MalformedResponse, and every handler call consumes input (no loop)', () => {
    fc.assert(
      fc.property(garbage, fc.array(fc.nat(), { maxLength: 16 }), (wire, cuts) => {
        let calls = 0;
        let completes = 0;
        const runaway = new Error('more handler calls than bytes: the parser loops');
        const count = () => {
          if (++calls > wire.length + 2) throw runaway;
        };
        const parser = new ResponseParser({
          onHead: count,
          onBody: (chunk) => {
            count();
            // Every slice is bytes of the fed wire, never an empty or stale one.
            if (chunk.length === 0) throw new Error('an empty body slice');
          },
          onComplete: () => {
            count();
            completes++;
          },
        });
        const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
        let from = 0;
        try {
          for (const to of [...points, wire.length]) {
            parser.feed(wire, from, to);
            from = to;
          }
          parser.end();
        } catch (error: unknown) {
          if (!(error instanceof MalformedResponse)) throw error;
          expect(error).toBeInstanceOf(ProtocolError);
        }
        expect(completes).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300, interruptAfterTimeLimit: 8000, markInterruptAsFailure: true },
    );
  }, 10_000);
});

// ---------------------------------------------------------------------------------------------

describe('RangeReader: keep-alive and the pool', () => {
  it('two sequential requests share one TCP connection; the request is a plain GET with the host', async () => {
    const server = await rawServer(echoPath);
    const from = reader(server);
    const first = await get(from, '/a?x=1', { headers: { range: 'bytes=0-9', 'x-cos-meta': 'v' } });
    const second = await get(from, '/b');
    expect(first.body.toString()).toBe('body of /a?x=1');
    expect(first.answer.status).toBe(200);
    expect(first.answer.errorText).toBeUndefined();
    expect(first.heads).toEqual([200]);
    expect(second.body.toString()).toBe('body of /b');
    expect(server.connections()).toBe(1);
    expect(server.requests).toEqual(['c1#1 /a?x=1', 'c1#2 /b']);
    const port = new URL(server.url).port;
    expect(server.received[0]).toBe(
      `GET /a?x=1 HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nrange: bytes=0-9\r\nx-cos-meta: v\r\n\r\n` +
        `GET /b HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n\r\n`,
    );
  });

  it('a caller host header does not make a second one', async () => {
    const server = await rawServer(echoPath);
    await get(reader(server), '/h', { headers: { host: 'evil.example', 'x-a': '1' } });
    expect(server.received[0]?.match(/^host:/gim)).toHaveLength(1);
    expect(server.received[0]).not.toContain('evil.example');
  });

  it('keeps alive across reads split by a tiny read buffer, chunked and by length', async () => {
    const payload = randomBytes(5000);
    const server = await rawServer(({ socket, nth }) => {
      if (nth === 1) socket.write(ok(payload, 206));
      else
        socket.write(
          Buffer.concat([
            Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'),
            chunked(payload, [333, 7, 1000]),
          ]),
        );
    });
    const from = reader(server, { bufferSize: 7 });
    const first = await get(from, '/one');
    const second = await get(from, '/two');
    expect(first.answer.status).toBe(206);
    expect(Buffer.compare(first.body, payload)).toBe(0);
    expect(Buffer.compare(second.body, payload)).toBe(0);
    expect(server.requests).toEqual(['c1#1 /one', 'c1#2 /two']);
  });

  it('an answer with Connection: close is not reused: the reader closes it and the next request opens another', async () => {
    const server = await rawServer(({ socket, path }) => {
      // The server keeps its side open: only the reader can close it.
      socket.write(ok(`body of ${path}`, 200, 'connection: close\r\n'));
    });
    const from = reader(server);
    expect((await get(from, '/a')).body.toString()).toBe('body of /a');
    await within(server.closed(1), 2000, 'the reader closes a Connection: close connection');
    expect((await get(from, '/b')).body.toString()).toBe('body of /b');
    expect(server.requests).toEqual(['c1#1 /a', 'c2#1 /b']);
  });

  it('an HTTP/1.0 answer without keep-alive is not reused', async () => {
    const server = await rawServer(({ socket }) => {
      socket.write('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    const from = reader(server);
    await get(from, '/a');
    await get(from, '/b');
    expect(server.requests).toEqual(['c1#1 /a', 'c2#1 /b']);
  });

  it('a body until the end of the connection is delivered whole, and that connection is not reused', async () => {
    const server = await rawServer(({ socket, path }) => {
      socket.write(`HTTP/1.1 200 OK\r\n\r\nall of ${path}`);
      socket.end();
    });
    const from = reader(server);
    expect((await get(from, '/a')).body.toString()).toBe('all of /a');
    expect((await get(from, '/b')).body.toString()).toBe('all of /b');
    expect(server.requests).toEqual(['c1#1 /a', 'c2#1 /b']);
  });

  it('keeps at most `connections` idle: the extra one is closed, the kept one reused', async () => {
    const server = await rawServer(({ socket, path }) => {
      // Both requests are in flight before either is answered.
      setTimeout(() => socket.write(ok(`body of ${path}`)), 50);
    });
    const from = reader(server, { connections: 1 });
    const [a, b] = await Promise.all([get(from, '/a'), get(from, '/b')]);
    expect([a.body.toString(), b.body.toString()]).toEqual(['body of /a', 'body of /b']);
    expect(server.connections()).toBe(2);
    const gone = await within(
      Promise.race([server.closed(1).then(() => 1), server.closed(2).then(() => 2)]),
      2000,
      'one of two idle connections closed',
    );
    await get(from, '/c');
    expect(server.connections()).toBe(2);
    expect(server.requests).toContain(`c${3 - gone}#2 /c`);
  });

  it('a 1xx before the final answer: onHead sees only the 206', async () => {
    const server = await rawServer(({ socket }) => {
      socket.write('HTTP/1.1 100 Continue\r\n\r\n');
      setTimeout(() => socket.write(ok('ranged', 206, 'content-range: bytes 0-5/10\r\n')), 20);
    });
    const got = await get(reader(server), '/r');
    expect(got.heads).toEqual([206]);
    expect(got.answer.headers['content-range']).toBe('bytes 0-5/10');
    expect(got.body.toString()).toBe('ranged');
  });

  it('close() fails the request in flight and refuses later ones', async () => {
    const server = await rawServer(() => {});
    const from = reader(server);
    const inFlight = get(from, '/never');
    await within(
      new Promise<void>((resolve) => {
        const wait = () => (server.requests.length > 0 ? resolve() : setTimeout(wait, 5));
        wait();
      }),
      2000,
      'the request reached the server',
    );
    await from.close();
    expect(await rejection(inFlight)).toBeInstanceOf(Error);
    expect(String(await rejection(get(from, '/later')))).toMatch(/the range reader is closed/);
    expect(server.requests).toEqual(['c1#1 /never']);
  });
});

describe('RangeReader: a connection the server closed', () => {
  it('the server ended an idle kept-alive connection: the next request takes a new one', async () => {
    const server = await rawServer(({ socket, path }) => {
      socket.end(ok(`body of ${path}`));
    });
    const from = reader(server);
    await get(from, '/a');
    await within(server.closed(1), 2000, 'the idle connection closed');
    expect((await get(from, '/b')).body.toString()).toBe('body of /b');
    expect(server.requests).toEqual(['c1#1 /a', 'c2#1 /b']);
  });

  it.each([
    ['ends (FIN)', (socket: net.Socket) => socket.end()],
    ['resets (RST)', (socket: net.Socket) => socket.resetAndDestroy()],
  ])(
    'the server %s a kept-alive connection as the next request arrives: it is sent again once, on a new connection',
    async (_name, drop) => {
      const server = await rawServer((exchange) => {
        if (exchange.connection === 1 && exchange.nth === 2) drop(exchange.socket);
        else echoPath(exchange);
      });
      const from = reader(server);
      await get(from, '/a');
      const again = await get(from, '/b');
      expect(again.body.toString()).toBe('body of /b');
      expect(again.heads).toEqual([200]);
      expect(server.requests).toEqual(['c1#1 /a', 'c1#2 /b', 'c2#1 /b']);
    },
  );

  it('is sent again only once: a second drop rejects with ClosedEarly', async () => {
    const server = await rawServer((exchange) => {
      if (exchange.path === '/a') echoPath(exchange);
      else exchange.socket.end();
    });
    const from = reader(server);
    await get(from, '/a');
    const error = await rejection(get(from, '/b'));
    expect(error).toBeInstanceOf(ClosedEarly);
    expect(server.requests).toEqual(['c1#1 /a', 'c1#2 /b', 'c2#1 /b']);
  });

  it('a new connection closed before any answer is not sent again', async () => {
    const server = await rawServer(({ socket }) => socket.end());
    const error = await rejection(get(reader(server), '/a'));
    expect(error).toBeInstanceOf(ClosedEarly);
    expect((error as ClosedEarly).transient).toBe(true);
    expect(server.requests).toEqual(['c1#1 /a']);
  });

  it('a kept-alive connection closed mid-answer is not sent again (the answer had begun)', async () => {
    const server = await rawServer((exchange) => {
      if (exchange.nth === 1) echoPath(exchange);
      else exchange.socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
    });
    const from = reader(server);
    await get(from, '/a');
    const seen: string[] = [];
    const error = await rejection(get(from, '/b', { onBody: (chunk) => seen.push(chunk.toString()) }));
    expect(error).toBeInstanceOf(ClosedEarly);
    expect(seen.join('')).toBe('partial');
    expect(server.requests).toEqual(['c1#1 /a', 'c1#2 /b']);
  });
});

describe('RangeReader: bodies cut short and broken answers', () => {
  it('early close mid-body (chunked): rejects with a transient ClosedEarly', async () => {
    const server = await rawServer(({ socket }) => {
      socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n10\r\nonly');
    });
    const seen: Buffer[] = [];
    const error = await rejection(get(reader(server), '/a', { onBody: (c) => seen.push(Buffer.from(c)) }));
    expect(error).toBeInstanceOf(ClosedEarly);
    expect((error as ClosedEarly).transient).toBe(true);
    expect(Buffer.concat(seen).toString()).toBe('helloonly');
  });

  it('a body shorter than its Content-Length: rejects with ClosedEarly, after exactly the bytes sent', async () => {
    const server = await rawServer(({ socket }) => {
      socket.write('HTTP/1.1 206 Partial Content\r\nContent-Length: 10\r\n\r\n12345');
      setTimeout(() => socket.end(), 30);
    });
    const seen: Buffer[] = [];
    const error = await rejection(get(reader(server), '/a', { onBody: (c) => seen.push(Buffer.from(c)) }));
    expect(error).toBeInstanceOf(ClosedEarly);
    expect(Buffer.concat(seen).toString()).toBe('12345');
  });

  it('a reset mid-body rejects with ECONNRESET and is not sent again', async () => {
    const server = await rawServer(({ socket }) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc');
      setTimeout(() => socket.resetAndDestroy(), 30);
    });
    const error = await rejection(get(reader(server), '/a'));
    expect((error as { code?: unknown }).code).toBe('ECONNRESET');
    expect(server.requests).toEqual(['c1#1 /a']);
  });

  it('a malformed answer on a kept-alive connection rejects as such, not transient, and is not sent again', async () => {
    const server = await rawServer((exchange) => {
      if (exchange.nth === 1) echoPath(exchange);
      else exchange.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab');
    });
    const from = reader(server);
    await get(from, '/a');
    const error = await rejection(get(from, '/b'));
    expect(error).toBeInstanceOf(MalformedResponse);
    expect((error as MalformedResponse).transient).toBe(false);
    expect(server.requests).toEqual(['c1#1 /a', 'c1#2 /b']);
    await within(server.closed(1), 2000, 'the broken connection closed');
  });
});

describe('RangeReader: error answers', () => {
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied.</Message>' +
    '<RequestId>NjQ1ZjE2</RequestId></Error>';

  it('a chunked 403 resolves with its status and the XML as errorText; the body never reaches onBody', async () => {
    const server = await rawServer((exchange) => {
      if (exchange.nth === 1)
        exchange.socket.write(
          Buffer.concat([
            Buffer.from(
              'HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nTransfer-Encoding: chunked\r\n\r\n',
            ),
            chunked(Buffer.from(xml), [10, 64]),
          ]),
        );
      else echoPath(exchange);
    });
    const from = reader(server, { bufferSize: 16 });
    const got = await get(from, '/denied');
    expect(got.answer.status).toBe(403);
    expect(got.answer.errorText).toBe(xml);
    expect(got.answer.headers['content-type']).toBe('application/xml');
    expect(got.heads).toEqual([]);
    expect(got.body.length).toBe(0);
    // The error body was read to its end: the connection carries the next request.
    expect((await get(from, '/next')).body.toString()).toBe('body of /next');
    expect(server.requests).toEqual(['c1#1 /denied', 'c1#2 /next']);
  });

  it.each([
    ['by length', false],
    ['chunked', true],
  ])(
    'an error body larger than 64 KiB (%s): errorText is its first 64 KiB, and the rest is read, not waited for',
    async (_name, isChunked) => {
      const big = Buffer.alloc(1024 * KiB);
      for (let i = 0; i < big.length; i++) big[i] = 0x41 + (i % 26);
      const server = await rawServer((exchange) => {
        if (exchange.nth > 1) return echoPath(exchange);
        exchange.socket.write(
          isChunked
            ? Buffer.concat([
                Buffer.from('HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n'),
                chunked(big, [40 * KiB, 333]),
              ])
            : Buffer.concat([
                Buffer.from(`HTTP/1.1 500 Internal Server Error\r\nContent-Length: ${big.length}\r\n\r\n`),
                big,
              ]),
        );
      });
      const from = reader(server);
      const got = await get(from, '/big-error');
      expect(got.answer.status).toBe(500);
      expect(got.answer.errorText?.length).toBe(64 * KiB);
      expect(got.answer.errorText).toBe(big.toString('latin1', 0, 64 * KiB));
      expect((await get(from, '/next')).body.toString()).toBe('body of /next');
      expect(server.requests).toEqual(['c1#1 /big-error', 'c1#2 /next']);
    },
  );

  // An error body is decoded once, at its end: decoding each read on its own would turn a character
  // split across two reads into U+FFFD. COS error messages may hold non-ASCII text (a Chinese
  // Message); which reads split it is up to the network.
  it('errorText keeps a UTF-8 character split across two reads', async () => {
    const body = `<Error><Code>NoSuchKey</Code><Message>${'指定的对象不存在'.repeat(4)}</Message></Error>`;
    const server = await rawServer(({ socket }) => {
      socket.write(ok(Buffer.from(body), 404));
    });
    // 16-byte reads: of any three read ends inside the 96 bytes of three-byte characters, at most one
    // falls between two characters (16 is 1 mod 3), so several characters are split.
    const got = await get(reader(server, { bufferSize: 16 }), '/missing');
    expect(got.answer.status).toBe(404);
    expect(got.answer.errorText).toBe(body);
  });
});

describe('RangeReader: the caller refuses or aborts', () => {
  it('onHead throwing rejects with that error, and the connection is not reused', async () => {
    const server = await rawServer(({ socket, path }) => {
      socket.write(ok(`body of ${path}`.repeat(1000)));
    });
    const from = reader(server);
    const refused = new Error('not the 206 we asked for');
    const seen: Buffer[] = [];
    const error = await rejection(
      from.request({
        path: '/a',
        headers: {},
        onHead: () => {
          throw refused;
        },
        onBody: (chunk) => seen.push(chunk),
      }),
    );
    expect(error).toBe(refused);
    expect(seen).toEqual([]);
    await within(server.closed(1), 2000, 'the refused connection closed');
    expect((await get(from, '/b')).body.toString()).toBe('body of /b'.repeat(1000));
    expect(server.requests).toEqual(['c1#1 /a', 'c2#1 /b']);
  });

  it('onBody throwing rejects with that error, stops the body, and the connection is not reused', async () => {
    const server = await rawServer(({ socket, path }) => {
      if (path === '/a') {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\nfirst');
        setTimeout(() => socket.write('second'), 50);
      } else socket.write(ok('fine'));
    });
    const from = reader(server);
    const full = new Error('disk full');
    let calls = 0;
    const error = await rejection(
      from.request({
        path: '/a',
        headers: {},
        onBody: () => {
          calls++;
          throw full;
        },
      }),
    );
    expect(error).toBe(full);
    await within(server.closed(1), 2000, 'the refused connection closed');
    expect(calls).toBe(1);
    expect((await get(from, '/b')).body.toString()).toBe('fine');
    expect(server.requests).toEqual(['c1#1 /a', 'c2#1 /b']);
  });

  it('an abort mid-body rejects with the signal reason at once (long before the timeout) and drops the connection', async () => {
    const server = await rawServer(({ socket, path }) => {
      if (path === '/slow') socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\nthe start');
      else socket.write(ok('fine'));
    });
    const from = reader(server, { timeoutMs: 8000 });
    const controller = new AbortController();
    const reason = new Error('the user cancelled');
    let started: () => void = () => {};
    const bodyBegan = new Promise<void>((resolve) => {
      started = resolve;
    });
    const pending = rejection(get(from, '/slow', { signal: controller.signal, onBody: () => started() }));
    await within(bodyBegan, 2000, 'the body began');
    controller.abort(reason);
    expect(await within(pending, 1000, 'the aborted request rejected')).toBe(reason);
    await within(server.closed(1), 2000, 'the aborted connection closed');
    expect((await get(from, '/b')).body.toString()).toBe('fine');
    expect(server.requests).toEqual(['c1#1 /slow', 'c2#1 /b']);
  });

  it('an abort before any answer, on a kept-alive connection, rejects with the reason and is not sent again', async () => {
    const server = await rawServer((exchange) => {
      if (exchange.path !== '/stall') echoPath(exchange);
    });
    const from = reader(server, { timeoutMs: 8000 });
    await get(from, '/a');
    const controller = new AbortController();
    const pending = rejection(get(from, '/stall', { signal: controller.signal }));
    await within(
      new Promise<void>((resolve) => {
        const wait = () => (server.requests.length === 2 ? resolve() : setTimeout(wait, 5));
        wait();
      }),
      2000,
      'the request reached the server',
    );
    controller.abort('stop');
    expect(await within(pending, 1000, 'the aborted request rejected')).toBe('stop');
    await get(from, '/probe');
    expect(server.requests).toEqual(['c1#1 /a', 'c1#2 /stall', 'c2#1 /probe']);
  });

  it('an already aborted signal rejects with its reason without connecting', async () => {
    const server = await rawServer(echoPath);
    const from = reader(server);
    const reason = new Error('gone already');
    expect(await rejection(get(from, '/a', { signal: AbortSignal.abort(reason) }))).toBe(reason);
    await get(from, '/probe');
    expect(server.connections()).toBe(1);
    expect(server.requests).toEqual(['c1#1 /probe']);
  });
});

describe('RangeReader: timeouts', () => {
  it('headers then a stall: rejects with ETIMEDOUT and is not sent again', async () => {
    const server = await rawServer(({ socket, path }) => {
      if (path === '/stall') socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
      else socket.write(ok('fine'));
    });
    const from = reader(server, { timeoutMs: 300 });
    const error = await within(rejection(get(from, '/stall')), 5000, 'the timeout');
    expect((error as { code?: unknown }).code).toBe('ETIMEDOUT');
    await get(from, '/probe');
    expect(server.requests).toEqual(['c1#1 /stall', 'c2#1 /probe']);
  });

  it('no answer at all on a kept-alive connection: ETIMEDOUT, never sent again', async () => {
    const server = await rawServer((exchange) => {
      if (exchange.path !== '/stall') echoPath(exchange);
    });
    const from = reader(server, { timeoutMs: 300 });
    await get(from, '/a');
    const error = await within(rejection(get(from, '/stall')), 5000, 'the timeout');
    expect((error as { code?: unknown }).code).toBe('ETIMEDOUT');
    await get(from, '/probe');
    expect(server.requests).toEqual(['c1#1 /a', 'c1#2 /stall', 'c2#1 /probe']);
  });
});

describe('RangeReader: what is sent, and what arrives unasked', () => {
  it.each([
    ['CR LF in a value', { 'x-cos-meta-a': 'v\r\nx-injected: 1' }],
    ['a bare LF in a value', { 'x-cos-meta-a': 'v\nx-injected: 1' }],
    ['a bare CR in a value', { 'x-cos-meta-a': 'v\rx-injected: 1' }],
    ['a NUL in a value', { 'x-cos-meta-a': 'v\0x-injected: 1' }],
    ['CR LF in a name', { 'x-a\r\nx-injected': '1' }],
  ])('a request header with %s throws before anything is sent', async (_name, headers) => {
    const server = await rawServer(echoPath);
    const from = reader(server);
    const error = await rejection(get(from, '/a', { headers }));
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as Error).message).toMatch(/holds a line break/);
    // A later request goes through; nothing of the refused one ever reached the server.
    expect((await get(from, '/b')).body.toString()).toBe('body of /b');
    expect(server.requests).toEqual([expect.stringMatching(/^c\d#1 \/b$/)]);
    expect(server.received.join('')).not.toContain('injected');
    expect(server.received.join('')).not.toContain('/a');
  });

  // The request is built and checked before a connection is taken: a check that threw after would
  // strand that connection, holding the dead request, until the idle timeout (and the third request
  // here would open a second connection).
  it('a refused request header costs no connection: the pooled one carries the next request', async () => {
    const server = await rawServer(echoPath);
    // A short idle timeout ends the stranded connection with ETIMEDOUT before the test ends: any other
    // end of it would re-send the dead request (see the next test).
    const from = reader(server, { timeoutMs: 300 });
    try {
      await get(from, '/a');
      await rejection(get(from, '/bad', { headers: { 'x-a': 'v\r\nx-b: 1' } }));
      await get(from, '/c');
      expect(server.connections()).toBe(1);
      expect(server.requests).toEqual(['c1#1 /a', 'c1#2 /c']);
    } finally {
      await new Promise((resolve) => setTimeout(resolve, 800));
    }
  });

  // A stranded connection would still hold the refused request, marked as re-sendable: the server
  // closing it (as servers close idle keep-alive connections) would re-send it on a new connection,
  // the check would throw again inside a promise nobody holds, and the process would die of an
  // unhandled rejection. Run in a child process, as that would take the process down.
  it('a refused request header, then the server closing the pooled connection, does not crash the process', async () => {
    const script = `
      import net from 'node:net';
      const { RangeReader } = await import(${JSON.stringify(pathToFileURL(path.resolve(import.meta.dirname, '../src/cos/range-reader.ts')).href)});
      const sockets = [];
      const server = net.createServer((socket) => {
        sockets.push(socket);
        socket.on('error', () => {});
        socket.once('data', () => socket.write('HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok'));
      });
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      const reader = new RangeReader('http://127.0.0.1:' + server.address().port, { connections: 2, timeoutMs: 5000 });
      await reader.request({ path: '/a', headers: {}, onBody() {} });
      await reader.request({ path: '/bad', headers: { 'x-a': 'v\\r\\nx-b: 1' }, onBody() {} }).catch(() => {});
      for (const socket of sockets) socket.end();
      await new Promise((resolve) => setTimeout(resolve, 500));
      await reader.close();
      server.close();
      console.log('survived');
    `;
    const child = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', hooks, '--input-type=module', '-e', script],
        { timeout: 8000, cwd: path.resolve(import.meta.dirname, '..') },
        (error, stdout, stderr) =>
          resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? null), stdout, stderr }),
      );
    });
    expect(child.stderr).not.toMatch(/holds a line break/);
    expect(child.stdout.trim()).toBe('survived');
    expect(child.code).toBe(0);
  }, 10_000);

  it('bytes sent on an idle connection: that connection is dropped and the next request works', async () => {
    const server = await rawServer(({ socket, connection, path }) => {
      socket.write(ok(`body of ${path}`));
      if (connection === 1)
        setTimeout(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nsneak'), 30);
    });
    const from = reader(server);
    expect((await get(from, '/a')).body.toString()).toBe('body of /a');
    await within(server.closed(1), 2000, 'the reader dropped the chatty connection');
    const next = await get(from, '/b');
    expect(next.body.toString()).toBe('body of /b');
    expect(server.requests).toEqual(['c1#1 /a', 'c2#1 /b']);
  });

  it('bytes after the response in the same read: the body is delivered, that connection dropped', async () => {
    const server = await rawServer(({ socket, connection, path }) => {
      const answer = ok(`body of ${path}`);
      socket.write(connection === 1 ? Buffer.concat([answer, Buffer.from('HTTP/1.1 200 OK\r\n')]) : answer);
    });
    const from = reader(server);
    expect((await get(from, '/a')).body.toString()).toBe('body of /a');
    await within(server.closed(1), 2000, 'the reader dropped the connection');
    expect((await get(from, '/b')).body.toString()).toBe('body of /b');
    expect(server.requests).toEqual(['c1#1 /a', 'c2#1 /b']);
  });
});

// ---------------------------------------------------------------------------------------------

describe('RangeReader over TLS', () => {
  let folder: string | undefined;
  let ca: TestCa;
  let otherName: TestCa;

  beforeAll(async () => {
    folder = await tempFolder();
    await mkdir(path.join(folder, 'a'));
    await mkdir(path.join(folder, 'b'));
    ca = await makeTestCa(path.join(folder, 'a'), '127.0.0.1');
    otherName = await makeTestCa(path.join(folder, 'b'), 'other.test');
  }, 20_000);

  afterAll(async () => {
    if (folder !== undefined) await removeFolder(folder);
  });

  interface TlsServer {
    readonly url: string;
    /** Requests served. */
    readonly handled: () => number;
    /** TLS connections established. */
    readonly sessions: () => number;
  }

  async function httpsServer(identity: TestCa): Promise<TlsServer> {
    let handled = 0;
    let sessions = 0;
    const server = createHttpsServer({ key: identity.key, cert: identity.cert }, (req, res) => {
      handled++;
      res.end(`tls body of ${req.url ?? ''}`);
    });
    server.on('secureConnection', () => sessions++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push({
      close: async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    });
    return {
      url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      handled: () => handled,
      sessions: () => sessions,
    };
  }

  it('refuses a certificate from a CA it was not given: a TLS verification error, no request served', async () => {
    const server = await httpsServer(ca);
    const error = await rejection(get(reader(server), '/a'));
    expect(TlsError.from(error, server.url, 'GET')).toBeInstanceOf(TlsError);
    expect((error as { code?: unknown }).code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(server.handled()).toBe(0);
  });

  it('accepts it with ca: [pem], and keeps the connection alive', async () => {
    const server = await httpsServer(ca);
    const from = reader(server, { ca: [ca.caPem] });
    expect((await get(from, '/a')).body.toString()).toBe('tls body of /a');
    expect((await get(from, '/b')).body.toString()).toBe('tls body of /b');
    expect(server.handled()).toBe(2);
    expect(server.sessions()).toBe(1);
  });

  it('refuses a trusted certificate for another host name', async () => {
    const server = await httpsServer(otherName);
    const error = await rejection(get(reader(server, { ca: [otherName.caPem] }), '/a'));
    expect((error as { code?: unknown }).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(TlsError.from(error, server.url, 'GET')).toBeInstanceOf(TlsError);
    expect(server.handled()).toBe(0);
  });

  it('NODE_TLS_REJECT_UNAUTHORIZED=0 does not make it accept an untrusted certificate', async () => {
    const server = await httpsServer(ca);
    const before = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    try {
      const error = await rejection(get(reader(server), '/a'));
      expect(TlsError.from(error, server.url, 'GET')).toBeInstanceOf(TlsError);
      expect(server.handled()).toBe(0);
    } finally {
      if (before === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = before;
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('CosClient.getBody through the range reader, against the emulator', () => {
  const ctx = useEmulator();
  const object = randomBytes(256 * KiB + 13);

  function client(): CosClient {
    const options = optionsFor(ctx.emulator, ctx.work, { key: 'data/object.bin' });
    const made = new CosClient(options.connection, {});
    servers.push(made);
    return made;
  }

  it('a ranged GET of a known object delivers exactly its bytes', async () => {
    ctx.emulator.put('data/object.bin', object);
    const chunks: Buffer[] = [];
    const heads: { status: number; range: unknown }[] = [];
    await client().getBody(
      { method: 'GET', key: 'data/object.bin', headers: { range: 'bytes=1000-200999' } },
      {
        onHead: (answer) => heads.push({ status: answer.status, range: answer.headers['content-range'] }),
        onBody: (chunk) => chunks.push(Buffer.from(chunk)),
      },
    );
    expect(heads).toEqual([{ status: 206, range: `bytes 1000-200999/${object.length}` }]);
    expect(Buffer.compare(Buffer.concat(chunks), object.subarray(1000, 201000))).toBe(0);
    expect(ctx.emulator.stats.count('get')).toBe(1);
  });

  it('a GET of a missing key throws a CosError 404 NoSuchKey', async () => {
    let delivered = 0;
    const error = await rejection(
      client().getBody(
        { method: 'GET', key: 'data/no-such-key' },
        { onHead: () => delivered++, onBody: () => delivered++ },
      ),
    );
    expect(error).toBeInstanceOf(CosError);
    expect((error as CosError).status).toBe(404);
    expect((error as CosError).code).toBe('NoSuchKey');
    expect((error as CosError).message).toContain("GET 'data/no-such-key'");
    expect(delivered).toBe(0);
  });
});
