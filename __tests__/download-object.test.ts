// The core against the emulator on loopback, writing into real temp folders.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { CosError } from '../src/cos/errors.js';
import { parseAuthorization } from '../src/cos/sign.js';
import { IntegrityError } from '../src/transfer/object-result.js';
import { emulatorWithKeys, listFolder, optionsFor, recordingLogger, run, SECRET_KEY } from './helpers/env.js';
import { useEmulator } from './helpers/use-emulator.js';

const body = randomBytes(3 * 1024 * 1024 + 17);
const ctx = useEmulator();

beforeEach(() => {
  ctx.emulator.setVersioning(false);
  ctx.emulator.put('data/big.bin', body);
  ctx.emulator.put('data/hello.txt', 'hello, world\n');
  ctx.emulator.put('data/empty', '');
});

async function objectResult(raw: Parameters<typeof optionsFor>[2]) {
  const result = await run(optionsFor(ctx.emulator, ctx.work, raw));
  return result.object;
}

describe('one object', () => {
  it('downloads a small object whole, verifies its CRC64 and reports its identity', async () => {
    const result = await objectResult({ key: 'data/hello.txt' });
    expect(result.status).toBe('downloaded');
    if (result.status !== 'downloaded') return;
    expect(result.path).toBe(path.join(ctx.work, 'hello.txt'));
    expect(await readFile(result.path, 'utf8')).toBe('hello, world\n');
    expect(result.crcCheck).toBe('verified');
    expect(result.info.etag).toBe(`"${createHash('md5').update('hello, world\n').digest('hex')}"`);
    expect(result.info.storageClass).toBe('STANDARD');
    expect(await listFolder(ctx.work)).toEqual(['hello.txt']);
  });

  it('downloads a multipart object in parts that each carry If-Match, never more than concurrency at once', async () => {
    ctx.emulator.setFaults({ latencyMs: 20 });
    const result = await objectResult({ key: 'data/big.bin', 'part-size': '512KiB', concurrency: '3' });
    expect(result.status).toBe('downloaded');
    expect(Buffer.compare(await readFile(path.join(ctx.work, 'big.bin')), body)).toBe(0);
    const gets = ctx.emulator.stats.requests.filter((r) => r.kind === 'get');
    expect(gets).toHaveLength(Math.ceil(body.length / (512 * 1024)));
    const etag = ctx.emulator.versions('data/big.bin').at(-1)?.etag;
    expect(gets.every((r) => r.headers['if-match'] === etag)).toBe(true);
    expect(ctx.emulator.stats.maxInFlight).toBeLessThanOrEqual(3);
    expect(ctx.emulator.stats.maxInFlight).toBeGreaterThan(1);
  });

  it('creates an empty file for an empty object without a GET', async () => {
    const result = await objectResult({ key: 'data/empty', destination: 'out/empty' });
    expect(result.status).toBe('downloaded');
    expect((await stat(path.join(ctx.work, 'out/empty'))).size).toBe(0);
    expect(ctx.emulator.stats.count('get')).toBe(0);
  });

  it.each([
    ['bytes=0-9', 0, 10],
    ['bytes=3145700-', 3145700, body.length - 3145700],
    ['bytes=-100', body.length - 100, 100],
    ['bytes=10-1048586', 10, 1048577],
  ])('downloads the range %s', async (range, first, length) => {
    const result = await objectResult({
      key: 'data/big.bin',
      range,
      'part-size': '512KiB',
      destination: 'r.bin',
    });
    expect(result.status).toBe('downloaded');
    if (result.status !== 'downloaded') return;
    expect(result.length).toBe(length);
    expect(result.crcCheck).toBe('partial-range');
    expect(
      Buffer.compare(await readFile(path.join(ctx.work, 'r.bin')), body.subarray(first, first + length)),
    ).toBe(0);
  });

  it('fails a range beyond the object with 416 and writes nothing', async () => {
    await expect(objectResult({ key: 'data/hello.txt', range: 'bytes=100-200' })).rejects.toThrow(
      /416 InvalidRange/,
    );
    expect(await listFolder(ctx.work)).toEqual([]);
  });

  it('downloads an older version by version-id and names a missing version', async () => {
    ctx.emulator.setVersioning(true);
    const v1 = ctx.emulator.put('data/v.txt', 'one');
    ctx.emulator.put('data/v.txt', 'two');
    const result = await objectResult({ key: 'data/v.txt', 'version-id': v1.versionId });
    expect(await readFile(path.join(ctx.work, 'v.txt'), 'utf8')).toBe('one');
    if (result.status === 'downloaded') expect(result.info.versionId).toBe(v1.versionId);
    const gets = ctx.emulator.stats.requests.filter((r) => r.kind === 'get');
    expect(gets.every((r) => r.query.versionId === v1.versionId)).toBe(true);
    await expect(
      objectResult({ key: 'data/v.txt', 'version-id': 'no-such-version', destination: 'x' }),
    ).rejects.toThrow(/version 'no-such-version' of 'data\/v.txt' does not exist/);
  });

  it('answers If-None-Match with not-modified and writes nothing', async () => {
    const etag = ctx.emulator.versions('data/hello.txt').at(-1)?.etag ?? '';
    const result = await objectResult({ key: 'data/hello.txt', 'if-none-match': etag });
    expect(result.status).toBe('not-modified');
    expect(await listFolder(ctx.work)).toEqual([]);
    expect(ctx.emulator.stats.count('get')).toBe(0);
  });

  it('answers If-Modified-Since in the future with not-modified', async () => {
    const result = await objectResult({ key: 'data/hello.txt', 'if-modified-since': '2999-01-01T00:00:00Z' });
    expect(result.status).toBe('not-modified');
  });

  it('fails a failed If-Match with 412 naming the condition and the actual ETag', async () => {
    const etag = ctx.emulator.versions('data/hello.txt').at(-1)?.etag ?? '';
    const failure = objectResult({ key: 'data/hello.txt', 'if-match': '"0000"' });
    await expect(failure).rejects.toThrow(/412 PreconditionFailed/);
    await expect(failure).rejects.toThrow(`if-match "0000" (the object's ETag is ${etag})`);
    expect(await listFolder(ctx.work)).toEqual([]);
  });

  it('fails a failed If-Unmodified-Since with 412 naming the condition', async () => {
    await expect(
      objectResult({ key: 'data/hello.txt', 'if-unmodified-since': '2001-01-01T00:00:00Z' }),
    ).rejects.toThrow(/precondition failed: if-unmodified-since Mon, 01 Jan 2001/);
  });

  it('tells to restore an ARCHIVE object', async () => {
    ctx.emulator.put('cold.bin', 'frozen', { storageClass: 'ARCHIVE' });
    const failure = objectResult({ key: 'cold.bin' });
    await expect(failure).rejects.toThrow(/403 InvalidObjectState/);
    await expect(failure).rejects.toThrow(/restore it first/);
    expect(await listFolder(ctx.work)).toEqual([]);
  });

  it('does not follow a 302 and says where it pointed, without its query', async () => {
    ctx.emulator.setFaults({ redirect: { location: 'http://169.254.169.254/latest/meta-data?sig=secret' } });
    const failure = objectResult({ key: 'data/hello.txt' });
    await expect(failure).rejects.toThrow(/origin-pull redirect/);
    await expect(failure).rejects.toThrow('http://169.254.169.254/latest/meta-data');
    await expect(failure).rejects.not.toThrow(/sig=secret/);
    expect(await listFolder(ctx.work)).toEqual([]);
  });

  it('fails 404 for a missing key with the COS code and request id', async () => {
    const failure = objectResult({ key: 'nope' });
    await expect(failure).rejects.toBeInstanceOf(CosError);
    await expect(failure).rejects.toThrow(/404 NoSuchKey.*request id/);
  });

  it('fails with a wrong secret key (SignatureDoesNotMatch) and never prints the key', async () => {
    const options = optionsFor(ctx.emulator, ctx.work, {
      key: 'data/hello.txt',
      'secret-key': 'wrong-key-0000',
    });
    const failure = run(options);
    await expect(failure).rejects.toThrow(/403 SignatureDoesNotMatch/);
    await expect(failure).rejects.not.toThrow(/wrong-key-0000/);
  });

  it('signs every request: host, range, if-match, x-cos-* headers and every query parameter', async () => {
    ctx.emulator.setVersioning(true);
    const v = ctx.emulator.put('signed.bin', randomBytes(2 * 1024 * 1024));
    await objectResult({
      key: 'signed.bin',
      'version-id': v.versionId,
      'part-size': '1MiB',
      'traffic-limit': '838860800',
      'response-content-type': 'application/x-test',
    });
    const requests = ctx.emulator.stats.requests;
    expect(requests.length).toBeGreaterThanOrEqual(3);
    for (const request of requests) {
      expect(request.signed).toBe(true);
      expect(request.status).toBeLessThan(300);
      const auth = parseAuthorization(request.authorization ?? '');
      expect(auth).toBeDefined();
      const sent = Object.keys(request.headers).filter(
        (h) => h === 'host' || h === 'range' || h.startsWith('if-') || h.startsWith('x-cos-'),
      );
      expect(auth?.headerList).toEqual(expect.arrayContaining(sent));
      expect(auth?.urlParamList).toEqual(
        Object.keys(request.query)
          .map((k) => k.toLowerCase())
          .sort(),
      );
    }
    const gets = requests.filter((r) => r.kind === 'get');
    expect(gets.every((r) => r.headers['x-cos-traffic-limit'] === '838860800')).toBe(true);
    expect(gets.every((r) => r.query['response-content-type'] === 'application/x-test')).toBe(true);
  });

  it('sends the SSE-C headers with the key MD5', async () => {
    const key = randomBytes(32).toString('base64');
    ctx.emulator.put('secret.bin', 'sealed', { sseCustomerKey: key });
    await objectResult({ key: 'secret.bin', 'sse-customer-key': key });
    expect(await readFile(path.join(ctx.work, 'secret.bin'), 'utf8')).toBe('sealed');
    const other = randomBytes(32).toString('base64');
    const failure = objectResult({ key: 'secret.bin', 'sse-customer-key': other, destination: 'x' });
    await expect(failure).rejects.toBeInstanceOf(CosError);
    await expect(failure).rejects.not.toThrow(other);
  });
});

describe('integrity and the canary', () => {
  it('fails a corrupted byte with a CRC64 mismatch and leaves the existing file byte-for-byte, no temp file', async () => {
    const canary = path.join(ctx.work, 'big.bin');
    await writeFile(canary, 'the old file');
    ctx.emulator.setFaults({ corruptByteAt: 1_000_000 });
    const failure = objectResult({ key: 'data/big.bin', 'part-size': '1MiB', overwrite: 'always' });
    await expect(failure).rejects.toBeInstanceOf(IntegrityError);
    await expect(failure).rejects.toThrow(/CRC64 mismatch/);
    expect(await readFile(canary, 'utf8')).toBe('the old file');
    expect(await listFolder(ctx.work)).toEqual(['big.bin']);
  });

  it('fails a corrupted byte of a small object (one GET into memory) the same way: no temp file', async () => {
    const canary = path.join(ctx.work, 'hello.txt');
    await writeFile(canary, 'the old file');
    ctx.emulator.setFaults({ corruptByteAt: 3 });
    const failure = objectResult({ key: 'data/hello.txt', overwrite: 'always' });
    await expect(failure).rejects.toBeInstanceOf(IntegrityError);
    await expect(failure).rejects.toThrow(/CRC64 mismatch/);
    expect(await readFile(canary, 'utf8')).toBe('the old file');
    expect(await listFolder(ctx.work)).toEqual(['hello.txt']);
  });

  it('a failed download (404 mid-way) leaves the existing destination untouched', async () => {
    const canary = path.join(ctx.work, 'hello.txt');
    await writeFile(canary, 'keep me');
    ctx.emulator.setFaults({ failNext: [{ status: 500, code: 'InternalError', kinds: ['get'] }] });
    const options = optionsFor(ctx.emulator, ctx.work, {
      key: 'data/hello.txt',
      retries: '0',
      overwrite: 'always',
    });
    await expect(run(options)).rejects.toThrow(/500 InternalError/);
    expect(await readFile(canary, 'utf8')).toBe('keep me');
    expect(await listFolder(ctx.work)).toEqual(['hello.txt']);
  });

  it('resumes a part from the first missing byte after a connection reset', async () => {
    ctx.emulator.setFaults({ resetAfterBytes: 700_000 });
    const logger = recordingLogger();
    const result = await run(
      optionsFor(ctx.emulator, ctx.work, { key: 'data/big.bin', 'part-size': '1MiB', retries: '10' }),
      {
        logger,
      },
    );
    expect(result.object.status).toBe('downloaded');
    expect(Buffer.compare(await readFile(path.join(ctx.work, 'big.bin')), body)).toBe(0);
    expect(logger.lines.some((l) => /attempt 1\/11 failed/.test(l))).toBe(true);
    const ranges = ctx.emulator.stats.requests.filter((r) => r.kind === 'get').map((r) => r.range);
    // The retry asks only for the rest of the part: it starts where the dropped response stopped.
    const resumed = ranges.filter((r) => /^bytes=[1-9]\d*-1048575$/.test(r ?? ''));
    expect(resumed.length).toBeGreaterThan(0);
    // Each retry starts later than the one before (a reused connection may be cut again further on).
    const starts = resumed.map((range) => Number(/=(\d+)/.exec(range ?? '')?.[1]));
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    for (const start of starts) expect(start).toBeLessThan(1_048_576);
    expect(logger.lines.join('\n')).not.toContain(SECRET_KEY);
  });

  it('retries 503 SlowDown and then succeeds', async () => {
    ctx.emulator.setFaults({
      failNext: [
        { status: 503, code: 'SlowDown' },
        { status: 503, code: 'SlowDown' },
      ],
    });
    const result = await objectResult({ key: 'data/hello.txt' });
    expect(result.status).toBe('downloaded');
  });

  it('does not retry a 403 (the HEAD is asked once; a one-byte GET only learns its code)', async () => {
    ctx.emulator.setFaults({
      failNext: [
        { status: 403, code: 'AccessDenied' },
        { status: 403, code: 'AccessDenied' },
      ],
    });
    await expect(objectResult({ key: 'data/hello.txt' })).rejects.toThrow(
      /HEAD 'data\/hello.txt': 403 AccessDenied/,
    );
    expect(ctx.emulator.stats.requests.map((r) => r.method)).toEqual(['HEAD', 'GET']);
  });

  it('corrects the clock on RequestTimeTooSkewed', async () => {
    const skewed = await emulatorWithKeys({ clockOffsetMs: 3 * 3600 * 1000 });
    try {
      skewed.put('a.txt', 'skew');
      const logger = recordingLogger();
      const result = await run(optionsFor(skewed, ctx.work, { key: 'a.txt' }), { logger });
      expect(result.object.status).toBe('downloaded');
      expect(logger.lines.some((l) => /clock is off by/.test(l))).toBe(true);
    } finally {
      await skewed.close();
    }
  });

  it('detects a server that ignores the range', async () => {
    ctx.emulator.setFaults({ rangeIgnored: true });
    await expect(objectResult({ key: 'data/big.bin', 'part-size': '1MiB' })).rejects.toThrow(/not 206/);
    expect(await listFolder(ctx.work)).toEqual([]);
  });

  it('detects a wrong Content-Range', async () => {
    ctx.emulator.setFaults({ wrongContentRange: true });
    await expect(objectResult({ key: 'data/big.bin', 'part-size': '1MiB' })).rejects.toThrow(/Content-Range/);
    expect(await listFolder(ctx.work)).toEqual([]);
  });

  it('catches an ETag change between parts (412 on If-Match) and starts over: never a mixed file', async () => {
    ctx.emulator.setFaults({ etagChangeAfterRequests: 1 });
    const logger = recordingLogger();
    const result = await run(
      optionsFor(ctx.emulator, ctx.work, { key: 'data/big.bin', 'part-size': '512KiB', concurrency: '1' }),
      {
        logger,
      },
    );
    expect(result.object.status).toBe('downloaded');
    const latest = ctx.emulator.versions('data/big.bin').at(-1);
    if (result.object.status === 'downloaded') expect(result.object.info.etag).toBe(latest?.etag);
    expect(latest?.etag).not.toBe(`"${createHash('md5').update(body).digest('hex')}"`);
    const file = await readFile(path.join(ctx.work, 'big.bin'));
    expect(file.length).toBe(latest?.size);
    expect(createHash('md5').update(file).digest('hex')).toBe(latest?.etag.replaceAll('"', ''));
    expect(logger.lines.some((l) => /changed during the download.*starting over/.test(l))).toBe(true);
    expect(await listFolder(ctx.work)).toEqual(['big.bin']);
  });

  it('does not start over when a condition pinned the old version: fails clearly instead', async () => {
    const etag = ctx.emulator.versions('data/big.bin').at(-1)?.etag ?? '';
    ctx.emulator.setFaults({ etagChangeAfterRequests: 1 });
    const options = optionsFor(ctx.emulator, ctx.work, {
      key: 'data/big.bin',
      'part-size': '512KiB',
      concurrency: '1',
      'if-match': etag,
    });
    await expect(run(options)).rejects.toThrow(/changed during the download/);
    expect(await listFolder(ctx.work)).toEqual([]);
  });

  it('fails clearly when the object keeps changing', async () => {
    ctx.emulator.setFaults({ etagChangeAfterRequests: 1 });
    const options = optionsFor(ctx.emulator, ctx.work, {
      key: 'data/big.bin',
      'part-size': '512KiB',
      concurrency: '1',
    });
    const first = run(options, {
      onStart: () => {
        // Each start re-arms the fault, so the restart sees a change too.
        ctx.emulator.setFaults({ etagChangeAfterRequests: 1 });
      },
    });
    await expect(first).rejects.toThrow(/changed during the download/);
    expect(await listFolder(ctx.work)).toEqual([]);
  });
});

describe('overwrite', () => {
  it('skips a local file that already matches (changed), without a GET', async () => {
    await writeFile(path.join(ctx.work, 'hello.txt'), 'hello, world\n');
    const result = await objectResult({ key: 'data/hello.txt' });
    expect(result.status).toBe('skipped');
    expect(ctx.emulator.stats.count('get')).toBe(0);
  });

  it('replaces a local file that differs (changed)', async () => {
    await writeFile(path.join(ctx.work, 'hello.txt'), 'hello, WORLD\n');
    const result = await objectResult({ key: 'data/hello.txt' });
    expect(result.status).toBe('downloaded');
    expect(await readFile(path.join(ctx.work, 'hello.txt'), 'utf8')).toBe('hello, world\n');
  });

  it('never overwrites with overwrite: never, and always downloads with always', async () => {
    await writeFile(path.join(ctx.work, 'hello.txt'), 'mine');
    expect((await objectResult({ key: 'data/hello.txt', overwrite: 'never' })).status).toBe('skipped');
    expect(await readFile(path.join(ctx.work, 'hello.txt'), 'utf8')).toBe('mine');
    await writeFile(path.join(ctx.work, 'hello.txt'), 'hello, world\n');
    expect((await objectResult({ key: 'data/hello.txt', overwrite: 'always' })).status).toBe('downloaded');
    expect(ctx.emulator.stats.count('get')).toBe(1);
  });
});
