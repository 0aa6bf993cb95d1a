// Downloading a link (`--url`, the library's `url`) with the engine a key uses, against the emulator
// checking the links' signatures and windows, and against a plain HTTP server that is not COS: one
// request for a small object, parts pinned with If-Match and the link's query never touched, resume
// after a kill from a fresh link, version-pinned and response-* links, the SDK's getObjectUrl, and
// the failures a link meets (expired, tampered, redirected) each in one line.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import COS from 'cos-nodejs-sdk-v5';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { presignObjectUrl } from '../src/cos/presign.js';
import { crc64ReferenceDecimal } from '../src/emulator/index.js';
import { downloadObject, LinkExpiredError } from '../src/library/index.js';
import { objectState } from '../src/transfer/state.js';
import { SECRET_ID, SECRET_KEY } from './helpers/env.js';
import { type RangeServer, startRangeServer } from './helpers/range-server.js';
import { useEmulator } from './helpers/use-emulator.js';

const PART = 512 * 1024;
const big = randomBytes(6 * PART + 4321);
const ctx = useEmulator();
const hooks = path.resolve(import.meta.dirname, 'helpers/ts-source.ts');
const bin = path.resolve(import.meta.dirname, '../src/cli/bin.ts');
const children = new Set<ChildProcess>();
let versionOne: string;

beforeAll(() => {
  ctx.emulator.setVersioning(true);
  versionOne = ctx.emulator.put('v.txt', 'version one').versionId;
  ctx.emulator.put('v.txt', 'version two, the latest');
  ctx.emulator.put('small.txt', 'a small object');
  ctx.emulator.put('dir/big file+ü.bin', big);
  ctx.emulator.put('empty.txt', '');
});
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

/** A link of ours to `key` on the emulator, made at `nowMs`. */
function link(key: string, extra: Partial<Parameters<typeof presignObjectUrl>[0]> = {}, nowMs = Date.now()) {
  return presignObjectUrl(
    {
      endpoint: ctx.emulator.url,
      credentials: { secretId: SECRET_ID, secretKey: SECRET_KEY },
      key,
      ...extra,
    },
    nowMs,
  ).url;
}

async function cli(argv: readonly string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    cwd: ctx.work,
  });
  return { code, stdout, stderr };
}

/** The query parameters of a URL, in order, as the emulator records them (signature and token redacted). */
function queryOf(url: string): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of new URL(url).searchParams) {
    query[name] = name === 'q-signature' || name === 'x-cos-security-token' ? '***' : value;
  }
  return query;
}

describe('a link downloaded with the engine of a key', () => {
  it('a small object costs one GET: the first part’s range, its body kept', async () => {
    const result = await cli(['--url', link('small.txt'), '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(path.join(ctx.work, 'small.txt'), 'utf8')).toBe('a small object');
    const requests = ctx.emulator.stats.requests;
    expect(requests.map((r) => [r.method, r.range, r.status])).toEqual([['GET', 'bytes=0-20971519', 206]]);
    const json = JSON.parse(result.stdout) as Record<string, string>;
    expect(json).toMatchObject({ ok: true, status: 'downloaded', 'content-length': 14 });
    expect(json.crc64).toBe(crc64ReferenceDecimal(Buffer.from('a small object')));
  });

  it('a multipart object: part 0 from the first GET, later parts pinned with If-Match, the link’s query untouched', async () => {
    const url = link('dir/big file+ü.bin');
    const result = await cli(['--url', url, '--part-size', '512KiB', '--concurrency', '3']);
    expect(result.code, result.stderr).toBe(0);
    const file = path.join(ctx.work, 'big file+ü.bin');
    expect(Buffer.compare(await readFile(file), big)).toBe(0);
    expect(result.stdout).toContain(`CRC64 ${crc64ReferenceDecimal(big)} verified`);
    const requests = ctx.emulator.stats.requests;
    expect(requests.every((r) => r.method === 'GET' && r.status === 206)).toBe(true);
    expect(requests).toHaveLength(7);
    expect(requests[0]?.range).toBe(`bytes=0-${PART - 1}`);
    expect(requests[0]?.headers['if-match']).toBeUndefined();
    const etag = ctx.emulator.versions('dir/big file+ü.bin')[0]?.etag;
    for (const request of requests.slice(1)) expect(request.headers['if-match']).toBe(etag);
    for (const request of requests) expect(request.query).toEqual(queryOf(url));
    expect(result.stdout).not.toContain('?');
  });

  it('resumes after a kill, from a fresh link to the same object; the checkpoint holds no query', async () => {
    ctx.emulator.setFaults({ stallAfterTotalBytes: 3 * PART + 100 });
    const child = spawn(
      process.execPath,
      [
        '--import',
        hooks,
        bin,
        '--url',
        link('dir/big file+ü.bin'),
        '--part-size',
        '512KiB',
        '--concurrency',
        '1',
      ],
      { cwd: ctx.work, env: { PATH: process.env.PATH ?? '' }, stdio: 'ignore' },
    );
    children.add(child);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const checkpoint = objectState(path.join(ctx.work, 'big file+ü.bin')).checkpoint;
    for (let i = 0; ctx.emulator.stats.bytesServed < 3 * PART + 100; i++) {
      if (i > 4000) throw new Error('the CLI never got there');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // The stall holds part 3; parts 0..2 are checkpointed once their slot is released.
    for (let i = 0; !(await readFile(checkpoint, 'utf8').catch(() => '')).includes('"2"'); i++) {
      if (i > 4000) throw new Error('no checkpoint of three parts');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    child.kill('SIGKILL');
    await exited;
    const saved = await readFile(checkpoint, 'utf8');
    expect(saved).not.toMatch(/\?|q-sign|q-ak|signature/);
    expect(JSON.parse(saved)).toMatchObject({
      bucket: ctx.emulator.url,
      key: `${ctx.emulator.url}/dir/big%20file%2B%C3%BC.bin`,
    });
    ctx.emulator.clearFaults();
    ctx.emulator.stats.reset();
    // A link made later (another window, another signature) to the same object.
    const fresh = link('dir/big file+ü.bin', { expiresSeconds: 600 }, Date.now() + 5000);
    const result = await cli(['--url', fresh, '--part-size', '512KiB', '--concurrency', '1']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/Resuming '.*big%20file.*': 3 of 7 parts are already downloaded/);
    expect(Buffer.compare(await readFile(path.join(ctx.work, 'big file+ü.bin')), big)).toBe(0);
    // The first GET (part 0's range, let go: a checkpoint holds it) and the four missing parts.
    expect(ctx.emulator.stats.count('get')).toBe(5);
    expect(await stat(checkpoint).catch(() => undefined)).toBeUndefined();
  });

  it('a version-pinned link downloads that version and reports it', async () => {
    const result = await cli(['--url', link('v.txt', { versionId: versionOne }), '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(path.join(ctx.work, 'v.txt'), 'utf8')).toBe('version one');
    expect(JSON.parse(result.stdout)).toMatchObject({ 'version-id': versionOne });
  });

  it('a link with response-content-disposition keeps it signed, and the file takes the path’s name', async () => {
    const url = link('small.txt', {
      responseOverrides: { contentDisposition: 'attachment; filename="x.txt"' },
    });
    const result = await cli(['--url', url, '--destination', 'out/']);
    expect(result.code, result.stderr).toBe(0);
    expect(await readFile(path.join(ctx.work, 'out', 'small.txt'), 'utf8')).toBe('a small object');
    expect(ctx.emulator.stats.requests[0]?.query['response-content-disposition']).toBe(
      'attachment; filename="x.txt"',
    );
  });

  it('a link made by the official SDK’s getObjectUrl, multipart', async () => {
    const cos = new COS({
      SecretId: SECRET_ID,
      SecretKey: SECRET_KEY,
      Protocol: 'http:',
      Domain: new URL(ctx.emulator.url).host,
    });
    const url = await new Promise<string>((resolve, reject) => {
      cos.getObjectUrl(
        { Bucket: ctx.emulator.bucket, Region: ctx.emulator.region, Key: 'dir/big file+ü.bin', Sign: true },
        (error, data) => (error ? reject(error) : resolve(data.Url)),
      );
    });
    const result = await cli(['--url', url, '--part-size', '512KiB', '--destination', 'sdk.bin']);
    expect(result.code, result.stderr).toBe(0);
    expect(Buffer.compare(await readFile(path.join(ctx.work, 'sdk.bin')), big)).toBe(0);
    expect(ctx.emulator.stats.requests.every((r) => r.signed && r.status === 206)).toBe(true);
  });

  it('an empty object (416 to the first range) comes down as an empty file', async () => {
    const result = await cli(['--url', link('empty.txt')]);
    expect(result.code, result.stderr).toBe(0);
    expect((await stat(path.join(ctx.work, 'empty.txt'))).size).toBe(0);
    expect(ctx.emulator.stats.requests.map((r) => [r.range, r.status])).toEqual([
      ['bytes=0-20971519', 416],
      [undefined, 200],
    ]);
  });

  it('a file that already matches is skipped after the first GET, its body let go', async () => {
    const url = link('dir/big file+ü.bin');
    expect((await cli(['--url', url, '--part-size', '512KiB'])).code).toBe(0);
    ctx.emulator.stats.reset();
    const again = await cli(['--url', url, '--part-size', '512KiB', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'skipped', 'bytes-downloaded': 0 });
    expect(ctx.emulator.stats.count('get')).toBe(1);
    expect(ctx.emulator.stats.bytesServed).toBeLessThanOrEqual(PART);
  });

  it('the library: downloadObject({ url }) with the typed result', async () => {
    const result = await downloadObject({
      url: link('small.txt'),
      destination: path.join(ctx.work, 'lib.txt'),
    });
    expect(result).toMatchObject({
      status: 'downloaded',
      key: `${ctx.emulator.url}/small.txt`,
      contentLength: 14,
      crcCheck: 'verified',
    });
    expect(await readFile(path.join(ctx.work, 'lib.txt'), 'utf8')).toBe('a small object');
  });

  it('the library takes every transfer option with url, fsync and crc included, as --url does', async () => {
    const result = await downloadObject({
      url: link('small.txt'),
      destination: path.join(ctx.work, 'durable.txt'),
      fsync: true,
      crc: true,
      overwrite: 'always',
      retries: 1,
    });
    expect(result).toMatchObject({ status: 'downloaded', crcCheck: 'verified' });
    expect(await readFile(path.join(ctx.work, 'durable.txt'), 'utf8')).toBe('a small object');
  });
});

describe('what a link meets, each in one line without the link', () => {
  it('an expired link: when it expired and when it was valid from', async () => {
    const made = Date.now();
    const url = link('small.txt', { expiresSeconds: 60 }, made);
    ctx.emulator.setClockOffset(2 * 3600_000);
    const result = await cli(['--url', url]);
    expect(result.code).toBe(1);
    const end = new Date((Math.floor(made / 1000) + 60) * 1000).toISOString();
    const start = new Date((Math.floor(made / 1000) - 60) * 1000).toISOString();
    expect(result.stderr).toBe(
      `cos-download: The link to ${ctx.emulator.url}/small.txt expired at ${end} (valid from ${start}); make a new one\n`,
    );
    const error = await downloadObject({ url, destination: path.join(ctx.work, 'x') }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LinkExpiredError);
    expect((error as LinkExpiredError).expiredAt?.toISOString()).toBe(end);
  });

  it('a tampered signature: SignatureDoesNotMatch', async () => {
    const url = link('small.txt').replace(/q-signature=[0-9a-f]{4}/, 'q-signature=0000');
    const result = await cli(['--url', url]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/403 SignatureDoesNotMatch: .*The link's signature does not match/);
    expect(result.stderr).not.toContain('?');
  });

  it('a redirect is not followed and is named without its query', async () => {
    const bait = await startRangeServer({ body: Buffer.from('bait') });
    try {
      ctx.emulator.setFaults({ redirect: { location: `${bait.url}/elsewhere.bin?sign=abcdef0123456789` } });
      const result = await cli(['--url', link('small.txt')]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(
          `302 Redirect: the server redirected to ${bait.url}/elsewhere\\.bin .*Redirects are not followed`,
        ),
      );
      expect(result.stderr).not.toContain('abcdef0123456789');
      expect(bait.requests).toHaveLength(0);
    } finally {
      await bait.close();
    }
  });

  it('a link that is not https to another machine, or that carries user:password@, is refused before any request', async () => {
    for (const [url, rule] of [
      ['http://example.com/a.bin?sig=1', /plain http/],
      ['https://user:pass@example.com/a.bin', /user:password@/],
      ['ftp://example.com/a.bin', /must be an https:\/\/ URL/],
      ['https://example.com/a#b.bin', /fragment/],
      ['https://example.com/dir/', /ends in "\/", so it names no file/],
      // The URL parser resolves '%2E%2E' itself, leaving a path that ends in '/'.
      ['https://example.com/%2E%2E', /ends in "\/", so it names no file/],
      ['https://example.com/a%5Cb', /holds a '\/' or '\\'/],
      ['https://example.com/a%01b', /NUL or a control character/],
      ['https://example.com/a%2Fb', /holds a '\/'/],
    ] as const) {
      const result = await cli(['--url', url]);
      expect(result.code, url).toBe(2);
      expect(result.stderr, url).toMatch(rule);
      expect(result.stderr).not.toContain('pass@');
    }
    expect(ctx.emulator.stats.count()).toBe(0);
  });
});

describe('a server that is not COS', () => {
  let server: RangeServer | undefined;
  afterAll(async () => server?.close());
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('without a CRC header: parts pinned as for COS, and "no CRC header: length verified only"', async () => {
    server = await startRangeServer({ body: big });
    const result = await cli(['--url', `${server.url}/files/data.bin`, '--part-size', '512KiB']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('no CRC header');
    expect(result.stdout).toContain('length verified only');
    expect(Buffer.compare(await readFile(path.join(ctx.work, 'data.bin')), big)).toBe(0);
    expect(server.requests).toHaveLength(7);
    expect(server.requests.slice(1).every((r) => r.ifMatch === '"range-server-etag-1"')).toBe(true);
  });

  it('without an ETag: one stream, no parts, no checkpoint, and it says why', async () => {
    server = await startRangeServer({ body: big, etag: false });
    const result = await cli(['--url', `${server.url}/data.bin`, '--part-size', '512KiB']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /sent no ETag to pin its parts to one version, so it comes down as one stream/,
    );
    expect(Buffer.compare(await readFile(path.join(ctx.work, 'data.bin')), big)).toBe(0);
    expect(server.requests.map((r) => r.range)).toEqual([`bytes=0-${PART - 1}`, undefined]);
    expect(await readdir(ctx.work)).toEqual(['data.bin']);
  });

  it('that ignores ranges: the first answer is the whole object, read as one stream', async () => {
    server = await startRangeServer({ body: big, ignoreRange: true, crc64: crc64ReferenceDecimal(big) });
    const result = await cli(['--url', `${server.url}/data.bin`, '--part-size', '512KiB']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('the server ignored the range (200 to a ranged GET)');
    expect(result.stdout).toContain(`CRC64 ${crc64ReferenceDecimal(big)} verified`);
    expect(server.requests).toHaveLength(1);
  });

  it('a CRC header the bytes do not match: a mismatch, and nothing at the destination', async () => {
    server = await startRangeServer({ body: big, crc64: '1' });
    const result = await cli(['--url', `${server.url}/data.bin`, '--part-size', '512KiB']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/CRC64 mismatch for '.*\/data\.bin': the server says 1/);
    expect(await readdir(ctx.work)).toEqual([]);
  });

  it('a part whose ETag differs from the first one’s, from a server that ignores If-Match, fails as a change', async () => {
    server = await startRangeServer({
      body: big,
      ignoreIfMatch: true,
      etag: (n) => (n < 4 ? '"first"' : '"second"'),
    });
    const result = await cli([
      '--url',
      `${server.url}/data.bin`,
      '--part-size',
      '512KiB',
      '--concurrency',
      '1',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /changed during the download \(bytes=1572864-2097151\): its ETag is now "second", not "first"/,
    );
    expect(await readdir(ctx.work)).toEqual([]);
  });
});
