// An HTTP/1.1 response parser, fed the bytes of one connection as they arrive: the status line and
// headers, then a body framed by Content-Length, by chunked encoding, or by the end of the
// connection. Pure (no I/O): the range reader drives it. It is strict, because what it reads is
// untrusted: a malformed answer is an error, never a guess. See docs/adr/0012-receive-path.md.
import { ClosedEarly, MalformedResponse } from './errors.js';

/** Headers, names lower-cased; a repeated header keeps its values in order. */
export type ResponseHeaders = Record<string, string | string[]>;

export interface ResponseHandlers {
  /** The status and headers of a final (non-1xx) response. */
  onHead(status: number, headers: ResponseHeaders): void;
  /** A slice of the body; valid only during the call (the buffer is reused). */
  onBody(chunk: Buffer): void;
  /** The body ended; `keepAlive`: the connection may carry another request. */
  onComplete(keepAlive: boolean): void;
}

/** Status line and headers: a COS answer's are far smaller. */
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_CHUNK_LINE = 1024;
/** 1xx answers before the final one: a server that sends more is not answering. */
const MAX_INTERIM = 8;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

const bad = (why: string): MalformedResponse =>
  new MalformedResponse(`the response breaks HTTP/1.1 (${why})`, { transient: false });

type State =
  | { readonly kind: 'head' }
  | { readonly kind: 'length'; remaining: number }
  | { readonly kind: 'chunk-size' }
  | { readonly kind: 'chunk-data'; remaining: number }
  | { readonly kind: 'chunk-end' }
  | { readonly kind: 'trailers' }
  | { readonly kind: 'until-close' }
  | { readonly kind: 'done' };

/** Parses one response (and skips 1xx ones before it); feed it, then `end()` when the connection ends. */
export class ResponseParser {
  readonly #handlers: ResponseHandlers;
  /** Whether the request was HEAD (a response with no body, whatever its headers say). */
  readonly #head: boolean;
  #state: State = { kind: 'head' };
  /** Bytes of a chunk line that arrived split across reads. */
  #pending: Buffer = Buffer.alloc(0);
  /** Reads of a head that arrived split, kept until its blank line (copied once, then). */
  #headParts: Buffer[] = [];
  #headLength = 0;
  #interim = 0;
  #trailerBytes = 0;
  #keepAlive = true;

  constructor(handlers: ResponseHandlers, options: { readonly head?: boolean } = {}) {
    this.#handlers = handlers;
    this.#head = options.head === true;
  }

  get done(): boolean {
    return this.#state.kind === 'done';
  }

  /** Feeds `buffer[start..end)`. Throws a ProtocolError on a malformed response. */
  feed(buffer: Buffer, start = 0, end = buffer.length): void {
    let at = start;
    while (at < end) {
      const state = this.#state;
      switch (state.kind) {
        case 'head':
          at = this.#readHead(buffer, at, end);
          break;
        case 'length': {
          const take = Math.min(state.remaining, end - at);
          this.#handlers.onBody(buffer.subarray(at, at + take));
          state.remaining -= take;
          at += take;
          if (state.remaining === 0) this.#complete();
          break;
        }
        case 'chunk-data': {
          const take = Math.min(state.remaining, end - at);
          this.#handlers.onBody(buffer.subarray(at, at + take));
          state.remaining -= take;
          at += take;
          if (state.remaining === 0) this.#state = { kind: 'chunk-end' };
          break;
        }
        case 'chunk-size':
        case 'chunk-end':
        case 'trailers':
          at = this.#readLine(buffer, at, end, (line) => this.#chunkLine(line));
          break;
        case 'until-close':
          this.#handlers.onBody(buffer.subarray(at, end));
          at = end;
          break;
        case 'done':
          // Nothing is sent after a response that was not asked for (no pipelining).
          throw bad('bytes after the end of the response');
      }
    }
  }

  /** The connection ended: completes a body read to the end of the connection, else it was cut short. */
  end(): void {
    if (this.#state.kind === 'until-close') {
      this.#keepAlive = false;
      this.#complete();
      return;
    }
    if (this.#state.kind !== 'done') throw new ClosedEarly();
  }

  #complete(): void {
    this.#state = { kind: 'done' };
    this.#handlers.onComplete(this.#keepAlive);
  }

  /**
   * Collects the head up to the blank line, then parses it; returns where the body starts. Each read
   * is searched once (with the 3 bytes before it, for a blank line split across reads), so a head
   * that trickles in costs no more than one that arrives whole; the limit is on the head before its
   * blank line, however it is split.
   */
  #readHead(buffer: Buffer, at: number, end: number): number {
    const before = this.#headLength;
    const tail = this.#headTail();
    const window =
      tail.length === 0 ? buffer.subarray(at, end) : Buffer.concat([tail, buffer.subarray(at, end)]);
    const found = window.indexOf('\r\n\r\n');
    if (found === -1) {
      // The head so far, less what may yet be its blank line's first 3 bytes.
      if (before + (end - at) - 3 > MAX_HEAD_BYTES) throw bad('headers larger than 64 KiB');
      this.#headParts.push(Buffer.from(buffer.subarray(at, end)));
      this.#headLength += end - at;
      return end;
    }
    const headLength = before - tail.length + found;
    if (headLength > MAX_HEAD_BYTES) throw bad('headers larger than 64 KiB');
    const consumed = found + 4 - tail.length;
    const head =
      this.#headParts.length === 0
        ? buffer.subarray(at, at + consumed)
        : Buffer.concat([...this.#headParts, buffer.subarray(at, at + consumed)]);
    this.#headParts = [];
    this.#headLength = 0;
    this.#parseHead(head.toString('latin1', 0, headLength));
    return at + consumed;
  }

  /** The last (up to) 3 bytes of the head collected so far. */
  #headTail(): Buffer {
    const parts = this.#headParts;
    if (parts.length === 0) return Buffer.alloc(0);
    const last = parts[parts.length - 1] as Buffer;
    if (last.length >= 3 || parts.length === 1) return last.subarray(Math.max(0, last.length - 3));
    return Buffer.concat(parts.slice(-3)).subarray(-3);
  }

  #parseHead(text: string): void {
    const lines = text.split('\r\n');
    const statusLine = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([\t\x20-\x7e\x80-\xff]*))?$/.exec(lines[0] ?? '');
    if (statusLine === null) throw bad(`status line '${(lines[0] ?? '').slice(0, 40)}'`);
    const status = Number(statusLine[2]);
    const headers: ResponseHeaders = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      // Only spaces and tabs are optional whitespace (RFC 9110 §5.5): any other control byte is refused.
      const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
      if (colon <= 0 || !TOKEN.test(name) || !FIELD_VALUE.test(value)) throw bad('a malformed header line');
      const existing = headers[name];
      headers[name] =
        existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
    if (status < 200) {
      // 100 Continue and the like: the real answer follows.
      if (status === 101) throw bad('an unasked protocol switch');
      if (++this.#interim > MAX_INTERIM) throw bad(`more than ${MAX_INTERIM} interim (1xx) responses`);
      return;
    }
    const connection = String(headers.connection ?? '').toLowerCase();
    this.#keepAlive =
      statusLine[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    // The framing is checked before anyone sees the head: a malformed length is refused as such.
    const body = this.#frame(status, headers);
    this.#handlers.onHead(status, headers);
    if (body === undefined) this.#complete();
    else this.#state = body;
  }

  /** How the body is framed (RFC 9112 §6.3): the state that reads it, or undefined for none. */
  #frame(status: number, headers: ResponseHeaders): State | undefined {
    if (this.#head || status === 204 || status === 304) return undefined;
    const encoding = headers['transfer-encoding'];
    const length = headers['content-length'];
    if (encoding !== undefined) {
      if (length !== undefined) throw bad('both Transfer-Encoding and Content-Length');
      const codings = (Array.isArray(encoding) ? encoding.join(',') : encoding)
        .toLowerCase()
        .split(',')
        .map((c) => c.trim());
      if (codings.length !== 1 || codings[0] !== 'chunked')
        throw bad(`Transfer-Encoding '${String(encoding).slice(0, 40)}'`);
      return { kind: 'chunk-size' };
    }
    if (length !== undefined) {
      const values = Array.isArray(length) ? length : [length];
      const first = values[0] as string;
      if (
        !/^\d{1,16}$/.test(first) ||
        values.some((v) => v !== first) ||
        !Number.isSafeInteger(Number(first))
      ) {
        throw bad(`Content-Length '${values.join(', ').slice(0, 40)}'`);
      }
      const remaining = Number(first);
      return remaining === 0 ? undefined : { kind: 'length', remaining };
    }
    this.#keepAlive = false;
    return { kind: 'until-close' };
  }

  /** Reads one CRLF-terminated line (of a chunked body) that may arrive split. */
  #readLine(buffer: Buffer, at: number, end: number, take: (line: string) => void): number {
    const newline = buffer.indexOf('\n', at);
    if (newline === -1 || newline >= end) {
      this.#pending = Buffer.concat([this.#pending, buffer.subarray(at, end)]);
      if (this.#pending.length > MAX_CHUNK_LINE) throw bad('a chunk line longer than 1 KiB');
      return end;
    }
    const line = Buffer.concat([this.#pending, buffer.subarray(at, newline + 1)]);
    this.#pending = Buffer.alloc(0);
    if (line.length > MAX_CHUNK_LINE) throw bad('a chunk line longer than 1 KiB');
    if (line.length < 2 || line[line.length - 2] !== 0x0d) throw bad('a chunk line not ended by CRLF');
    take(line.toString('latin1', 0, line.length - 2));
    return newline + 1;
  }

  #chunkLine(line: string): void {
    const state = this.#state;
    if (state.kind === 'chunk-end') {
      if (line !== '') throw bad('chunk data longer than its size');
      this.#state = { kind: 'chunk-size' };
      return;
    }
    if (state.kind === 'trailers') {
      this.#trailerBytes += line.length + 2;
      if (this.#trailerBytes > MAX_HEAD_BYTES) throw bad('trailers larger than 64 KiB');
      if (line === '') this.#complete();
      return;
    }
    const size = /^([0-9a-fA-F]{1,12})(?:;[\t\x20-\x7e]*)?$/.exec(line);
    if (size === null) throw bad(`chunk size '${line.slice(0, 20)}'`);
    const remaining = Number.parseInt(size[1] as string, 16);
    this.#state = remaining === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', remaining };
  }
}
