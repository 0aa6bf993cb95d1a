// A narrow HTTP/1.1 client for the one request the bulk of a download is made of: a GET of object
// bytes. Each connection reads into one buffer of its own, reused for every read (Node's `onread`),
// and the body goes to the caller synchronously, slice by slice, while the buffer is valid — no
// Buffer per chunk, no stream, nothing for the garbage collector. Keep-alive connections are
// pooled per origin. Everything else (HEAD, listings, proxied origins) goes through undici.
// See docs/adr/0012-receive-path.md.
import net from 'node:net';
import tls from 'node:tls';
import { ClosedEarly, ProtocolError } from './errors.js';
import { type ResponseHeaders, ResponseParser } from './http-response.js';

export interface RangeReaderOptions {
  /** Connections kept to the origin. */
  readonly connections: number;
  /** Connect and idle timeout. */
  readonly timeoutMs: number;
  /** CAs to trust instead of Node's defaults (already including them), for https. */
  readonly ca?: string[] | undefined;
  readonly lookup?: net.LookupFunction | undefined;
  /** Bytes of each connection's read buffer. */
  readonly bufferSize?: number;
}

export interface BodyRequest {
  /** Path and query, encoded. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal | undefined;
  /** The status and headers of a 2xx answer, before its body; throwing refuses the answer. */
  readonly onHead?: ((status: number, headers: ResponseHeaders) => void) | undefined;
  /** Each slice of a 2xx body, in order; the buffer is reused once this returns. Throwing aborts. */
  readonly onBody: (chunk: Buffer) => void;
}

export interface BodyAnswer {
  readonly status: number;
  readonly headers: ResponseHeaders;
  /** The body of a non-2xx answer, at most 64 KiB of it (an error to read). */
  readonly errorText?: string;
}

const ERROR_TEXT_MAX = 64 * 1024;
const BUFFER_SIZE = 256 * 1024;

/** The bytes of a GET of `request.path` from `host`; throws, before anything is sent, on a line break in any part. */
function requestText(request: BodyRequest, host: string): string {
  if (!/^\/[\x21-\x7e]*$/.test(request.path)) {
    throw new ProtocolError('a request path holds a space or a control character', { transient: false });
  }
  let text = `GET ${request.path} HTTP/1.1\r\n${headerLine('host', host)}`;
  for (const [name, value] of Object.entries(request.headers))
    if (name !== 'host') text += headerLine(name, value);
  return `${text}\r\n`;
}

/** One header line; a name or value with a line break is refused, so a value can never split the request. */
function headerLine(name: string, value: string): string {
  if (/[\r\n\0]/.test(name) || /[\r\n\0]/.test(value)) {
    throw new ProtocolError(`a request header '${name}' holds a line break`, { transient: false });
  }
  return `${name}: ${value}\r\n`;
}

/** The server ended or reset the connection (not a timeout, not a TLS or protocol failure). */
function closedByServer(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return error instanceof ClosedEarly || code === 'ECONNRESET' || code === 'EPIPE';
}

interface Pending {
  readonly request: BodyRequest;
  readonly done: (answer: BodyAnswer) => void;
  /** `answered`: some of the response had arrived. */
  readonly fail: (error: unknown, answered: boolean) => void;
}

/** One keep-alive connection, carrying one request at a time. */
class Connection {
  readonly #socket: net.Socket;
  readonly #onIdle: (connection: Connection) => void;
  readonly #onGone: (connection: Connection) => void;
  #parser: ResponseParser | undefined;
  #pending: Pending | undefined;
  #answered = false;
  #reusable = true;

  constructor(
    origin: URL,
    options: RangeReaderOptions,
    onIdle: (connection: Connection) => void,
    onGone: (connection: Connection) => void,
  ) {
    this.#onIdle = onIdle;
    this.#onGone = onGone;
    const buffer = Buffer.allocUnsafe(options.bufferSize ?? BUFFER_SIZE);
    const host = origin.hostname.replace(/^\[|\]$/g, '');
    const port = Number(origin.port || (origin.protocol === 'https:' ? 443 : 80));
    const common = {
      host,
      port,
      onread: { buffer, callback: (bytes: number, into: Uint8Array) => this.#read(bytes, into as Buffer) },
      // node:net and node:tls take an undefined `lookup` or `ca` as their default (dns.lookup, Node's CAs).
      lookup: options.lookup,
    };
    this.#socket =
      origin.protocol === 'https:'
        ? tls.connect({
            ...common,
            // Certificates are always verified, whatever NODE_TLS_REJECT_UNAUTHORIZED says.
            rejectUnauthorized: true,
            ...(net.isIP(host) === 0 ? { servername: host } : {}),
            ca: options.ca,
          })
        : net.connect(common);
    this.#socket.setNoDelay(true);
    this.#socket.setTimeout(options.timeoutMs, () => {
      this.#socket.destroy(
        Object.assign(
          new Error(
            `no data for ${options.timeoutMs < 1000 ? `${options.timeoutMs} ms` : `${Math.round(options.timeoutMs / 1000)} s`}`,
          ),
          {
            code: 'ETIMEDOUT',
          },
        ),
      );
    });
    this.#socket.on('error', (error) => this.#close(error));
    this.#socket.on('close', () => this.#close(undefined));
    this.#socket.on('end', () => {
      try {
        this.#parser?.end();
      } catch (error: unknown) {
        this.#close(error);
      }
    });
  }

  /** Sends `text` (the request, built and checked before a connection was taken) for `pending`. */
  send(pending: Pending, text: string): void {
    this.#pending = pending;
    this.#answered = false;
    const { request } = pending;
    // An error answer's bytes, decoded once at its end (a character may be split across reads).
    const errorBytes: Buffer[] = [];
    let errorLength = 0;
    let head: { status: number; headers: ResponseHeaders } | undefined;
    this.#parser = new ResponseParser({
      onHead: (status, headers) => {
        head = { status, headers };
        if (status >= 200 && status < 300) request.onHead?.(status, headers);
      },
      onBody: (chunk) => {
        if (head !== undefined && head.status >= 200 && head.status < 300) request.onBody(chunk);
        else if (errorLength < ERROR_TEXT_MAX) {
          const kept = chunk.subarray(0, ERROR_TEXT_MAX - errorLength);
          errorBytes.push(Buffer.from(kept));
          errorLength += kept.length;
        }
      },
      onComplete: (keepAlive) => {
        this.#reusable = keepAlive;
        const answer = head as { status: number; headers: ResponseHeaders };
        this.#finish(() => {
          if (answer.status >= 200 && answer.status < 300) pending.done(answer);
          else pending.done({ ...answer, errorText: Buffer.concat(errorBytes).toString('utf8') });
        });
      },
    });
    this.#socket.write(text);
  }

  /** The end of a request: the connection goes back to the pool, or away. */
  #finish(report: () => void): void {
    this.#pending = undefined;
    this.#parser = undefined;
    if (this.#reusable && !this.#socket.destroyed) this.#onIdle(this);
    else this.#socket.destroy();
    report();
  }

  #read(bytes: number, buffer: Buffer): boolean {
    const parser = this.#parser;
    if (parser === undefined) {
      // Bytes on an idle connection: the server is not speaking HTTP as it should; drop it.
      this.#socket.destroy();
      return false;
    }
    this.#answered = true;
    try {
      parser.feed(buffer, 0, bytes);
    } catch (error: unknown) {
      this.#socket.destroy(error instanceof Error ? error : new Error(String(error)));
      return false;
    }
    return true;
  }

  /** Aborts the request in flight: the connection cannot be reused. */
  abort(reason: unknown): void {
    this.#socket.destroy(reason instanceof Error ? reason : new Error(String(reason)));
  }

  #close(error: unknown): void {
    const pending = this.#pending;
    this.#pending = undefined;
    this.#reusable = false;
    this.#onGone(this);
    pending?.fail(error ?? new ClosedEarly(), this.#answered);
  }

  destroy(): void {
    this.#socket.destroy();
  }
}

/** The pooled connections to one origin. */
export class RangeReader {
  readonly #origin: URL;
  readonly #options: RangeReaderOptions;
  readonly #idle: Connection[] = [];
  readonly #all = new Set<Connection>();
  #closed = false;

  constructor(origin: string, options: RangeReaderOptions) {
    this.#origin = new URL(origin);
    this.#options = options;
  }

  /** One GET; resolves once the whole body went to `onBody` (2xx) or an error answer was read. */
  request(request: BodyRequest): Promise<BodyAnswer> {
    return this.#attempt(request, true);
  }

  /**
   * A kept-alive connection the server closed while it was idle fails before any answer: that
   * request is sent again once, on a new connection, as a browser would (a GET is idempotent).
   */
  #attempt(request: BodyRequest, mayResend: boolean): Promise<BodyAnswer> {
    return new Promise<BodyAnswer>((resolve, reject) => {
      if (this.#closed) {
        reject(new Error('the range reader is closed'));
        return;
      }
      request.signal?.throwIfAborted();
      // Built first: a request refused here has taken no connection.
      const text = requestText(request, this.#origin.host);
      const idle = this.#idle.pop();
      const connection = idle ?? this.#connect();
      const onAbort = (): void => connection.abort(request.signal?.reason);
      request.signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => request.signal?.removeEventListener('abort', onAbort);
      connection.send(
        {
          request,
          done: (answer) => {
            settle();
            resolve(answer);
          },
          fail: (error, answered) => {
            settle();
            if (request.signal?.aborted) reject(request.signal.reason);
            else if (idle !== undefined && !answered && mayResend && closedByServer(error)) {
              resolve(this.#attempt(request, false));
            } else reject(error);
          },
        },
        text,
      );
    });
  }

  #connect(): Connection {
    const connection = new Connection(
      this.#origin,
      this.#options,
      (idle) => {
        if (this.#closed || this.#idle.length >= this.#options.connections) idle.destroy();
        else this.#idle.push(idle);
      },
      (gone) => {
        this.#all.delete(gone);
        const at = this.#idle.indexOf(gone);
        if (at !== -1) this.#idle.splice(at, 1);
      },
    );
    this.#all.add(connection);
    return connection;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const connection of this.#all) connection.destroy();
    this.#all.clear();
    this.#idle.length = 0;
  }
}
