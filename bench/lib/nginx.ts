// The neutral server: nginx (Debian's nginx-light) on 127.0.0.1 serving a folder of objects with the
// headers COS sends, so a benchmark measures the clients, not our own emulator. One process
// (`master_process off`, `daemon off`), a child of the benchmark in its own process group, with its
// config, pid, logs and temp paths in a temp folder; killed with the benchmark (bench/lib/harness.ts).
//
// What it serves, per object (GET and HEAD, `/KEY` and path-style `/BUCKET/KEY`):
//   ETag                  "hex MD5" (COS for a single-PUT object), from a generated `map`
//   x-cos-hash-crc64ecma  decimal CRC-64/XZ of the whole object, also on 206 answers
//   Last-Modified, Accept-Ranges: bytes, 206 + Content-Range for `Range: bytes=a-b` (nginx's own)
//   If-Match              412 unless it is `*` or equals that ETag. nginx checks If-Match itself, but only
//                         against its own ETag ("mtime-size"), before add_header runs: with `etag off`
//                         every If-Match fails, with `etag on` + add_header every COS ETag fails. So the
//                         config compares If-Match with the map's ETag (a PCRE backreference), answers
//                         412 itself, and clears the header (headers-more: `more_clear_input_headers`,
//                         Debian's libnginx-mod-http-headers-more-filter) so nginx's check never sees it.
// Listing: `GET /?prefix=…&delimiter=…&marker=…` (and `/BUCKET?…`) → a pre-generated ListBucketResult
// page chosen by a `map` on prefix|delimiter|marker (raw or percent-encoded); any other listing is a
// 400 with a COS error document naming the query, so a tool asking for a page nobody generated fails
// loudly. 404 and 412 carry COS error XML. Authorization headers (the SDK and rclone may sign) are ignored.

import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type * as Listing from './cos-listing.js';
import type { ListedFile, ListingSpec } from './cos-listing.js';
import type * as Harness from './harness.js';

const { killGroup, track }: typeof Harness = await import(new URL('./harness.ts', import.meta.url).href);
const { listingPages, queryValuePattern }: typeof Listing = await import(
  new URL('./cos-listing.ts', import.meta.url).href
);

export const HEADERS_MORE_MODULE = '/usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so';

export interface ServedObject extends ListedFile {
  /** Decimal CRC-64/XZ of the whole object. */
  readonly crc64: string;
}

export interface NginxOptions {
  /** A fresh folder for the config, logs and temp paths (inside the benchmark's temp folder). */
  readonly dir: string;
  /** The folder whose files are the objects, by path relative to it (= the key). */
  readonly root: string;
  readonly bucket: string;
  readonly objects: readonly ServedObject[];
  /** The listings the tools will ask for. */
  readonly listings: readonly ListingSpec[];
}

export interface LogRecord {
  readonly method: string;
  readonly status: number;
  readonly bytes: number;
  readonly uri: string;
  readonly args: string;
}

export interface RequestCounts {
  /** GET of an object (not a listing). */
  readonly get: number;
  readonly head: number;
  readonly list: number;
  /** Answers of 400 or more. */
  readonly errors: number;
  readonly bytes: number;
  /** Up to 3 requests that failed, for the message. */
  readonly failed: readonly string[];
}

export interface Nginx {
  readonly url: string;
  readonly port: number;
  readonly version: string;
  /** User + system CPU seconds of the server so far. */
  cpuSeconds(): number;
  /** Peak RSS of the server so far, KiB. */
  peakRssKiB(): number;
  /** Where the access log ends now: pass it to `requestsSince` after a run. */
  logMark(): number;
  requestsSince(mark: number): RequestCounts;
  stop(): void;
}

/** A free TCP port on 127.0.0.1 (nginx cannot listen on port 0): bind a probe socket, read, close. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? done(port) : fail(new Error('bench: no free port'))));
    });
  });
}

/** A double-quoted nginx string; a `$` may only end a regex (nginx would read `$name` as a variable). */
const quote = (text: string): string => {
  if (/["\\\n\r]|\$[^)]/.test(text)) throw new Error(`bench: cannot quote ${JSON.stringify(text)} for nginx`);
  return `"${text}"`;
};

const errorXml = (code: string, message: string): string =>
  `<?xml version='1.0' encoding='utf-8' ?>\n<Error>\n<Code>${code}</Code>\n<Message>${message}</Message>\n` +
  `<RequestId>bench-nginx</RequestId>\n<TraceId>bench-nginx</TraceId>\n</Error>\n`;

function config(options: NginxOptions, port: number, listDir: string, errorsDir: string): string {
  const { dir, root, bucket, objects } = options;
  if (!/^[a-z0-9-]+$/.test(bucket)) throw new Error(`bench: bucket ${bucket} is not a plain COS bucket name`);
  const etags: string[] = [];
  const crcs: string[] = [];
  for (const object of objects) {
    if (!/^[A-Za-z0-9._/-]+$/.test(object.key)) {
      throw new Error(
        `bench: key ${JSON.stringify(object.key)} needs more quoting than the nginx config does`,
      );
    }
    etags.push(`    ${quote(`/${object.key}`)} '${object.etag}';`);
    crcs.push(`    ${quote(`/${object.key}`)} ${object.crc64};`);
  }
  const pages: string[] = [];
  let n = 0;
  for (const spec of options.listings) {
    for (const page of listingPages(objects, spec, bucket)) {
      const file = `page-${n++}.xml`;
      writeFileSync(join(listDir, file), page.xml);
      const pattern = `~^${queryValuePattern(spec.prefix)}[|]${queryValuePattern(spec.delimiter)}[|]${queryValuePattern(page.marker)}$`;
      pages.push(`    ${quote(pattern)} ${file};`);
    }
  }
  // The object headers, the If-Match check and the header clearing, for both URL styles.
  const objectRules = `
      if ($if_match_failed) { return 412; }
      more_clear_input_headers If-Match;
      add_header ETag $object_etag;
      add_header x-cos-hash-crc64ecma $object_crc64;
      add_header x-cos-storage-class STANDARD;`;
  const listRules = `
      default_type application/xml;
      root ${quote(listDir)};
      if ($list_page = "") { return 400; }
      rewrite ^ /$list_page break;`;
  return `# Generated by bench/lib/nginx.ts for one benchmark run.
load_module ${HEADERS_MORE_MODULE};
daemon off;
master_process off;
worker_processes 1;
pid ${quote(join(dir, 'nginx.pid'))};
error_log ${quote(join(dir, 'error.log'))} warn;
events { worker_connections 1024; }
http {
  types { }
  default_type application/octet-stream;
  server_tokens off;
  log_not_found off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 60s;
  keepalive_requests 100000;
  open_file_cache max=10000 inactive=120s;
  etag off;
  map_hash_max_size 65536;
  map_hash_bucket_size 256;
  client_body_temp_path ${quote(join(dir, 'client_body'))};
  proxy_temp_path ${quote(join(dir, 'proxy'))};
  fastcgi_temp_path ${quote(join(dir, 'fastcgi'))};
  uwsgi_temp_path ${quote(join(dir, 'uwsgi'))};
  scgi_temp_path ${quote(join(dir, 'scgi'))};
  log_format bench '$request_method\\t$status\\t$body_bytes_sent\\t$request_uri';
  access_log ${quote(join(dir, 'access.log'))} bench;

  # /BUCKET/KEY (path style: rclone) and /KEY (a plain endpoint: cos-download, the SDK, curl) are one object.
  map $uri $object_path {
    ${quote(`~^/${bucket}(?<rest>/.*)$`)} $rest;
    default $uri;
  }
  map $object_path $object_etag {
${etags.join('\n')}
    default "";
  }
  map $object_path $object_crc64 {
${crcs.join('\n')}
    default "";
  }
  # 1 when an If-Match is present and is neither * nor the object's ETag.
  map "$http_if_match|$object_etag" $if_match_failed {
    "~^[|]" 0;
    "~^[*][|]" 0;
    "~^(.+)[|]\\1$" 0;
    default 1;
  }
  map "$arg_prefix|$arg_delimiter|$arg_marker" $list_page {
${pages.join('\n')}
    default "";
  }

  server {
    listen 127.0.0.1:${port};
    root ${quote(root)};
    error_page 400 /.errors/InvalidArgument.xml;
    error_page 404 /.errors/NoSuchKey.xml;
    error_page 412 /.errors/PreconditionFailed.xml;
    location ^~ /.errors/ {
      internal;
      default_type application/xml;
      root ${quote(errorsDir)};
      rewrite ^/[.]errors/(.*)$ /$1 break;
    }
    location = /.bench-ready { return 204; }
    location = / {${listRules}
    }
    location = /${bucket} {${listRules}
    }
    location = /${bucket}/ {${listRules}
    }
    location / {${objectRules}
    }
    location /${bucket}/ {
      alias ${quote(`${root}/`)};${objectRules}
    }
  }
}
`;
}

const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** Starts nginx on a free port (retried if another process takes the port first); resolves when it answers. */
export async function startNginx(options: NginxOptions): Promise<Nginx> {
  if (!existsSync(HEADERS_MORE_MODULE)) {
    throw new Error(
      `bench: ${HEADERS_MORE_MODULE} is missing: run bench/neutral/setup.sh (libnginx-mod-http-headers-more-filter)`,
    );
  }
  const listDir = join(options.dir, 'list');
  const errorsDir = join(options.dir, 'errors');
  mkdirSync(listDir, { recursive: true });
  mkdirSync(errorsDir, { recursive: true });
  writeFileSync(join(errorsDir, 'NoSuchKey.xml'), errorXml('NoSuchKey', 'The specified key does not exist.'));
  writeFileSync(
    join(errorsDir, 'PreconditionFailed.xml'),
    errorXml('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.'),
  );
  writeFileSync(
    join(errorsDir, 'InvalidArgument.xml'),
    errorXml('InvalidArgument', 'The neutral server has no listing page generated for this query.'),
  );
  const version = (spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr ?? '')
    .trim()
    .replace(/^nginx version: /, '');
  let lastError = '';
  for (let attempt = 1; attempt <= 5; attempt++) {
    const port = await freePort();
    const file = join(options.dir, 'nginx.conf');
    writeFileSync(file, config(options, port, listDir, errorsDir));
    const child = track(
      spawn('nginx', ['-p', options.dir, '-c', file, '-e', join(options.dir, 'error.log')], {
        detached: true,
        stdio: ['ignore', 'ignore', 'pipe'],
      }),
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    const url = `http://127.0.0.1:${port}`;
    const ready = await waitReady(url, child, 10_000);
    if (ready) {
      const accessLog = join(options.dir, 'access.log');
      const proc = (name: string): string => readFileSync(`/proc/${child.pid}/${name}`, 'utf8');
      return {
        url,
        port,
        version,
        cpuSeconds() {
          const stat = proc('stat');
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
        },
        peakRssKiB: () => Number(/VmHWM:\s+(\d+)/.exec(proc('status'))?.[1]),
        logMark: () => (existsSync(accessLog) ? statSync(accessLog).size : 0),
        requestsSince: (mark) => countRequests(readLog(accessLog, mark), options.bucket),
        stop: () => killGroup(child, 'SIGTERM'),
      };
    }
    killGroup(child, 'SIGKILL');
    const errorLog = join(options.dir, 'error.log');
    lastError = `${stderr}${existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : ''}`.slice(-2000);
    if (!/Address already in use/.test(lastError)) break;
  }
  throw new Error(`bench: nginx did not start:\n${lastError}`);
}

async function waitReady(url: string, child: { exitCode: number | null }, limitMs: number): Promise<boolean> {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) return false;
    try {
      const response = await fetch(`${url}/.bench-ready`);
      if (response.status === 204) return true;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  return false;
}

function readLog(file: string, from: number): LogRecord[] {
  if (!existsSync(file)) return [];
  const size = statSync(file).size;
  if (size <= from) return [];
  const buffer = Buffer.alloc(size - from);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, from);
  } finally {
    closeSync(fd);
  }
  const records: LogRecord[] = [];
  for (const line of buffer.toString('utf8').split('\n')) {
    if (line === '') continue;
    // $request_uri: the request line's target as sent (not the URI after rewrites or error pages).
    const [method = '', status = '0', bytes = '0', target = ''] = line.split('\t');
    const query = target.indexOf('?');
    records.push({
      method,
      status: Number(status),
      bytes: Number(bytes),
      uri: query === -1 ? target : target.slice(0, query),
      args: query === -1 ? '' : target.slice(query + 1),
    });
  }
  return records;
}

function countRequests(records: readonly LogRecord[], bucket: string): RequestCounts {
  let get = 0;
  let head = 0;
  let list = 0;
  let errors = 0;
  let bytes = 0;
  const failed: string[] = [];
  for (const record of records) {
    if (record.uri === '/.bench-ready') continue;
    bytes += record.bytes;
    if (record.status >= 400) {
      errors++;
      if (failed.length < 3) failed.push(`${record.method} ${record.uri}?${record.args} → ${record.status}`);
    }
    const isList = record.uri === '/' || record.uri === `/${bucket}` || record.uri === `/${bucket}/`;
    if (record.method === 'HEAD') head++;
    else if (record.method === 'GET' && isList) list++;
    else if (record.method === 'GET') get++;
  }
  return { get, head, list, errors, bytes, failed };
}
