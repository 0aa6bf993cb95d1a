// The library API (src/library) as a program uses it: its own emulator, typed options, camelCase results
// and errors that name the library's options, in real temp folders.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { unsupportedNode } from '../src/base/node-version.js';
import { INPUT_NAMES } from '../src/config/inputs.js';
import { startEmulator as startServer } from '../src/emulator/index.js';
import {
  CosError,
  type DownloadObjectOptions,
  downloadObject,
  type EmulatorHandle,
  IntegrityError,
  MirrorPrefixError,
  mirrorPrefix,
  NetworkError,
  OptionError,
  startEmulator,
} from '../src/library/index.js';
import { optionName } from '../src/library/option-inputs.js';
import { removeFolder, tempFolder } from './helpers/env.js';

/** Deterministic bytes that are not all one value (so a misplaced part shows). */
function pattern(size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed * 7 + (i >> 10)) % 251;
  return bytes;
}

const big = pattern(3 * 1024 * 1024 + 5);
const md5 = (data: Uint8Array | string) => createHash('md5').update(data).digest('hex');

let cos: EmulatorHandle;
let work: string;
let cwd: string;

beforeAll(async () => {
  cos = await startEmulator({
    objects: {
      'data/hello.txt': 'hello, cos\n',
      'data/big.bin': big,
      'data/sub/b.txt': 'b',
      'data/dir/': '',
    },
  });
});
afterAll(async () => {
  await cos.close();
});
beforeEach(async () => {
  work = await tempFolder();
  cwd = process.cwd();
});
afterEach(async () => {
  process.chdir(cwd);
  await removeFolder(work);
});

/** The handle's key in the shape the internal emulator takes. */
function keyPair() {
  return { secretId: cos.credentials.secretId, secretKey: cos.credentials.secretKey };
}

function at(extra: Partial<DownloadObjectOptions> = {}) {
  const { endpoint, bucket, region, credentials } = cos;
  return { endpoint, bucket, region, credentials, retries: 0, ...extra };
}

describe('startEmulator', () => {
  it('serves the objects it was given, with a fresh key it verifies', async () => {
    expect(cos.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(cos.bucket).toBe('examplebucket-1250000000');
    expect(cos.region).toBe('ap-guangzhou');
    expect(cos.credentials.secretId).toMatch(/^AKID/);
    const other = await startEmulator();
    try {
      expect(other.credentials.secretKey).not.toBe(cos.credentials.secretKey);
    } finally {
      await other.close();
    }
    // Anonymous and wrongly signed requests are refused: the bucket is not public-read.
    const anonymous = downloadObject({
      ...at(),
      credentials: undefined,
      key: 'data/hello.txt',
      destination: work,
    });
    await expect(anonymous).rejects.toBeInstanceOf(CosError);
    const wrongKey = { secretId: cos.credentials.secretId, secretKey: 'not-the-key' };
    const forged = downloadObject({
      ...at(),
      credentials: wrongKey,
      key: 'data/hello.txt',
      destination: work,
    });
    await expect(forged).rejects.toMatchObject({
      name: 'CosError',
      status: 403,
      code: 'SignatureDoesNotMatch',
    });
  });

  it('takes given credentials, publicRead, a folder as root, and objects changed while it runs', async () => {
    await writeFile(path.join(work, 'from-root.txt'), 'root file');
    const credentials = { secretId: 'AKIDmine', secretKey: 'my-secret-key' };
    const local = await startEmulator({
      root: work,
      credentials,
      publicRead: true,
      bucket: 'mine-1250000001',
    });
    try {
      expect(local.credentials).toEqual(credentials);
      const out = path.join(work, 'out');
      const { endpoint, bucket } = local;
      const anonymous = await downloadObject({
        endpoint,
        bucket,
        key: 'from-root.txt',
        destination: `${out}/`,
      });
      expect(anonymous.notModified).toBe(false);
      expect(await readFile(path.join(out, 'from-root.txt'), 'utf8')).toBe('root file');
      local.putObject('from-root.txt', 'changed');
      const again = await downloadObject({
        endpoint,
        bucket,
        credentials,
        key: 'from-root.txt',
        destination: `${out}/`,
      });
      expect(again.status).toBe('downloaded');
      expect(await readFile(path.join(out, 'from-root.txt'), 'utf8')).toBe('changed');
      local.deleteObject('from-root.txt');
      const gone = downloadObject({ endpoint, bucket, key: 'from-root.txt', destination: `${out}/` });
      await expect(gone).rejects.toMatchObject({ name: 'CosError', status: 404 });
    } finally {
      await local.close();
      await local.close();
    }
  });
});

describe('downloadObject', () => {
  it('downloads in parts and resolves to the outputs in camelCase, numbers as numbers', async () => {
    const started: Array<[string, number]> = [];
    let bytes = 0;
    const result = await downloadObject({
      ...at(),
      key: 'data/big.bin',
      destination: `${work}/`,
      partSize: 1024 * 1024,
      concurrency: 3,
      onStart: (key, length) => started.push([key, length]),
      onBytes: (count) => {
        bytes += count;
      },
    });
    expect(result).toEqual({
      status: 'downloaded',
      notModified: false,
      key: 'data/big.bin',
      etag: expect.stringMatching(/^"[0-9a-f]{32}"$/),
      crc64: expect.stringMatching(/^\d+$/),
      contentLength: big.length,
      size: big.length,
      lastModified: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      storageClass: 'STANDARD',
      path: path.join(work, 'big.bin'),
      bytesDownloaded: big.length,
      crcCheck: 'verified',
    });
    expect(md5(await readFile(path.join(work, 'big.bin')))).toBe(md5(big));
    expect(started).toEqual([['data/big.bin', big.length]]);
    expect(bytes).toBe(big.length);
  });

  it('resolves a relative destination against the current folder; a range; a 304 is notModified', async () => {
    process.chdir(work);
    const range = await downloadObject({
      ...at(),
      key: 'data/hello.txt',
      destination: 'part.txt',
      range: 'bytes=0-4',
    });
    expect(range).toMatchObject({ status: 'downloaded', contentLength: 5, crcCheck: 'partial-range' });
    expect(range.path).toBe(path.join(process.cwd(), 'part.txt'));
    expect(await readFile(path.join(work, 'part.txt'), 'utf8')).toBe('hello');
    const first = await downloadObject({ ...at(), key: 'data/hello.txt' });
    if (first.notModified) throw new Error('expected a download');
    const unchanged = await downloadObject({ ...at(), key: 'data/hello.txt', ifNoneMatch: first.etag });
    expect(unchanged).toEqual({
      status: 'not-modified',
      notModified: true,
      key: 'data/hello.txt',
      path: path.join(process.cwd(), 'hello.txt'),
      bytesDownloaded: 0,
    });
    const since = await downloadObject({
      ...at(),
      key: 'data/hello.txt',
      ifModifiedSince: new Date(Date.now() + 60_000),
    });
    expect(since.notModified).toBe(true);
    const skipped = await downloadObject({ ...at(), key: 'data/hello.txt' });
    expect(skipped).toMatchObject({ status: 'skipped', bytesDownloaded: 0, contentLength: 11 });
  });

  it('stops when its signal is aborted, and leaves nothing at the destination', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop now'));
    const aborted = downloadObject({
      ...at(),
      key: 'data/big.bin',
      destination: `${work}/`,
      signal: controller.signal,
    });
    await expect(aborted).rejects.toThrow('stop now');
    await expect(readFile(path.join(work, 'big.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('logs through the methods the logger has (a retry is a warning)', async () => {
    const server = await startServer({ credentials: [keyPair()] });
    try {
      server.put('flaky.txt', 'flaky');
      server.setFaults({ failNext: [{ status: 503, code: 'SlowDown', kinds: ['get'] }] });
      const warnings: string[] = [];
      const result = await downloadObject({
        endpoint: server.url,
        bucket: server.bucket,
        credentials: cos.credentials,
        retries: 1,
        key: 'flaky.txt',
        destination: `${work}/`,
        logger: { warning: (m) => warnings.push(m) },
      });
      expect(result.status).toBe('downloaded');
      expect(warnings).toEqual([
        expect.stringMatching(/^GET 'flaky\.txt'.*: attempt 1\/2 failed .*SlowDown.*; retrying in \d+ ms$/),
      ]);
    } finally {
      await server.close();
    }
  });

  it('fails with IntegrityError when the bytes do not match the CRC64, keeping no file', async () => {
    // One byte flipped on the way, the CRC header unchanged: a corrupting proxy, seen from the client.
    const server = await startServer({ credentials: [keyPair()] });
    try {
      server.put('bad.bin', 'abc');
      server.setFaults({ corruptByteAt: 1 });
      const result = downloadObject({
        endpoint: server.url,
        bucket: server.bucket,
        credentials: cos.credentials,
        retries: 0,
        key: 'bad.bin',
        destination: `${work}/`,
      });
      await expect(result).rejects.toBeInstanceOf(IntegrityError);
      await expect(readFile(path.join(work, 'bad.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await server.close();
    }
  });
});

describe('mirrorPrefix', () => {
  it('mirrors a prefix and resolves to the prefix outputs; a re-run skips everything', async () => {
    const destination = path.join(work, 'mirror');
    const first = await mirrorPrefix({ ...at(), prefix: 'data/', destination, partSize: '1MiB' });
    expect(first).toMatchObject({
      path: destination,
      filesDownloaded: 3,
      filesSkipped: 0,
      filesDeleted: 0,
      bytesDownloaded: big.length + 'hello, cos\n'.length + 1,
      manifest: path.join(destination, '.cos-download', 'manifest.json'),
      dryRun: false,
      refused: [],
      archived: [],
    });
    expect(first.files.map((f) => [f.key, f.path, f.action]).sort()).toEqual([
      ['data/big.bin', 'big.bin', 'download'],
      ['data/hello.txt', 'hello.txt', 'download'],
      ['data/sub/b.txt', 'sub/b.txt', 'download'],
    ]);
    expect(md5(await readFile(path.join(destination, 'big.bin')))).toBe(md5(big));
    expect(await readFile(path.join(destination, 'sub/b.txt'), 'utf8')).toBe('b');
    const again = await mirrorPrefix({ ...at(), prefix: 'data/', destination, include: ['**/*.txt'] });
    expect(again).toMatchObject({ filesDownloaded: 0, filesSkipped: 2, bytesDownloaded: 0 });
    const dry = await mirrorPrefix({
      ...at(),
      prefix: 'data/',
      destination: `${work}/dry`,
      dryRun: true,
      shard: '1/1',
    });
    expect(dry.dryRun).toBe(true);
    expect(dry.filesDownloaded).toBe(3);
    expect(dry).not.toHaveProperty('manifest');
  });

  it('fails with MirrorPrefixError carrying what it did when a download fails', async () => {
    const server = await startServer({ credentials: [keyPair()] });
    try {
      server.put('p/a.txt', 'a');
      server.put('p/b.txt', 'b');
      server.setFaults({ failNext: [{ status: 403, code: 'AccessDenied', kinds: ['get'] }] });
      const error = await mirrorPrefix({
        endpoint: server.url,
        bucket: server.bucket,
        credentials: cos.credentials,
        retries: 0,
        prefix: 'p/',
        destination: work,
        concurrency: 1,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MirrorPrefixError);
      const failure = error as MirrorPrefixError;
      expect(failure.message).toMatch(/^1 of 2 download\(s\) failed; first: .*AccessDenied/);
      expect(failure.cause).toBeInstanceOf(CosError);
      expect(failure.result).toMatchObject({ path: work, filesDownloaded: 2, dryRun: false });
      expect(failure.result.files.map((f) => f.key).sort()).toEqual(['p/a.txt', 'p/b.txt']);
    } finally {
      await server.close();
    }
  });
});

describe('options are checked by the CLI parser, and errors name the library option', () => {
  const cases: Array<[string, Record<string, unknown>, string | RegExp]> = [
    [
      'a size with an SI unit',
      { partSize: '10MB' },
      /^Option 'partSize' = '10MB': 'MB' is ambiguous.*Fix: write '10MiB'\.$/,
    ],
    [
      'a number of bytes below the minimum',
      { partSize: 1000 },
      /^Option 'partSize' = 1000: must be between 512KiB and 5GiB/,
    ],
    [
      'a fractional number of bytes (never read as MiB)',
      { partSize: 1.5 },
      "Option 'partSize' = 1.5: must be a whole number of bytes, more than 0. Fix: e.g. 8 * 1024 * 1024 or '8MiB'.",
    ],
    [
      'a fractional concurrency',
      { concurrency: 1.5 },
      /^Option 'concurrency' = 1\.5: must be 'auto' or a whole number in 1\.\.64/,
    ],
    ['a timeout of 0 ms', { timeout: 0 }, /^Option 'timeout' = 0: must be more than 0/],
    [
      'a traffic limit out of range',
      { trafficLimit: 10 },
      /^Option 'trafficLimit' = 10: must be a whole number of bit\/s/,
    ],
    [
      'a bad range',
      { range: 'bytes=5-1' },
      /^Option 'range' = 'bytes=5-1': the last byte must not be before the first/,
    ],
    [
      'an invalid Date',
      { ifModifiedSince: new Date(Number.NaN) },
      /^Option 'ifModifiedSince' = an invalid Date: must be a valid Date/,
    ],
    ['a boolean as text that is none', { crc: 'yes' }, /^Option 'crc' = 'yes': must be true or false/],
    ['a wrong type', { dryRun: 1 }, /^Option 'dryRun' = 1: must be true or false\. Fix: pass a boolean\.$/],
    ['an overwrite mode', { overwrite: 'sometimes' }, /^Option 'overwrite' = 'sometimes': must be 'changed'/],
    [
      'an SSE-C key (never shown)',
      { sseCustomerKey: 'c2hvcnQ=' },
      /^Option 'sseCustomerKey' = \(hidden\): must be standard base64/,
    ],
    ['a bucket without APPID', { bucket: 'mybucket' }, /^Option 'bucket' = 'mybucket': .*APPID is missing/],
    [
      'a region code of the old API',
      { region: 'gz', endpoint: undefined },
      /^Option 'region' = 'gz': .*Fix: write 'ap-guangzhou'\.$/,
    ],
    [
      'an unknown option',
      { partsize: 8 },
      "Option 'partsize' is not an option of downloadObject. Fix: remove it, or check its spelling (options are camelCase).",
    ],
    [
      'an option of the other call',
      { include: ['*'] },
      "Option 'include' is an option of mirrorPrefix, not of downloadObject. Fix: remove it, or call mirrorPrefix.",
    ],
    [
      'a missing key',
      { key: '' },
      "Option 'key' (not set): required: the object to download. Fix: e.g. key: 'releases/app.tar.gz'.",
    ],
    [
      'a key ending in /',
      { key: 'data/' },
      /^Option 'key' = 'data\/': a key ending in '\/' is a folder marker/,
    ],
    [
      'a version with a range',
      { versionId: 'v1\nx' },
      /^Option 'versionId' = 'v1\\nx': must not contain control characters/,
    ],
    [
      'credentials from an unset variable',
      { credentials: { secretId: undefined, secretKey: 'k' } },
      "Option 'credentials.secretId' is not set though 'credentials' is given. Fix: pass the value, or leave 'credentials' out for anonymous access.",
    ],
    [
      'a credential with a space',
      { credentials: { secretId: 'AKID x', secretKey: 'k' } },
      /^Option 'credentials\.secretId' = \(hidden\): 'credentials\.secretId' must be printable ASCII/,
    ],
    [
      'an unknown credential field',
      { credentials: { secretId: 'a', secretKey: 'b', token: 'c' } },
      /^Option 'credentials\.token' is not a credential field/,
    ],
  ];

  it.each(cases)('%s', async (_, extra, message) => {
    const options = { ...at(), key: 'data/hello.txt', destination: work, ...extra } as DownloadObjectOptions;
    const error = await downloadObject(options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OptionError);
    const optionError = error as OptionError;
    if (typeof message === 'string') expect(optionError.message).toBe(message);
    else expect(optionError.message).toMatch(message);
    expect(optionError.message).not.toMatch(/Input '|part-size|secret-id|sse-customer-key/);
    expect(optionError.message).not.toContain('c2hvcnQ=');
    expect(optionError.message).not.toContain('AKID x');
    expect(optionError.option).toBe(/^Option '([^']+)'/.exec(optionError.message)?.[1]);
  });

  it('mirrorPrefix checks its own options the same way', async () => {
    const shard = mirrorPrefix({
      ...at(),
      prefix: 'data/',
      destination: work,
      shard: { index: 3, count: 2 },
    });
    await expect(shard).rejects.toThrow(
      /^Option 'shard' = \{"index":3,"count":2\}: must be 'i\/n'.*i = 3 is more than n = 2/,
    );
    const glob = mirrorPrefix({ ...at(), prefix: 'data/', destination: work, exclude: ['/abs/*'] });
    await expect(glob).rejects.toThrow(
      /^Option 'exclude' = '\/abs\/\*': globs match the key relative to 'prefix'/,
    );
    const key = mirrorPrefix({ ...at(), prefix: 'data/', destination: work, key: 'x' } as never);
    await expect(key).rejects.toThrow("Option 'key' is an option of downloadObject, not of mirrorPrefix.");
    const none = mirrorPrefix({ ...at(), prefix: '  ', destination: work });
    await expect(none).rejects.toThrow(/^Option 'prefix' \(not set\)/);
  });

  it('maps every input to a camelCase option name', () => {
    expect(INPUT_NAMES.map(optionName).filter((name) => !/^[a-z][a-zA-Z0-9.]*$/.test(name))).toEqual([]);
    expect(optionName('part-size')).toBe('partSize');
    expect(optionName('sse-customer-key')).toBe('sseCustomerKey');
    expect(optionName('if-none-match')).toBe('ifNoneMatch');
    expect(optionName('secret-key')).toBe('credentials.secretKey');
  });
});

describe('the Node.js version check', () => {
  it.each([
    ['20.20.2', 'cos-download needs Node.js 22.19 or newer; this is Node.js v20.20.2.'],
    ['v22.18.9', 'cos-download needs Node.js 22.19 or newer; this is Node.js v22.18.9.'],
    ['18.0.0', 'cos-download needs Node.js 22.19 or newer; this is Node.js v18.0.0.'],
    ['garbage', 'cos-download needs Node.js 22.19 or newer; this is Node.js vgarbage.'],
    ['22.19.0', undefined],
    ['23.0.0', undefined],
    ['24.21.0', undefined],
    ['v26.1.0', undefined],
  ])('%s → %s', (version, message) => {
    expect(unsupportedNode(version)).toBe(message);
  });
});

describe('a COS that cannot be reached', () => {
  it('rejects with a NetworkError: the code, the host, what to check', async () => {
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const failure = await downloadObject({
      bucket: 'examplebucket-1250000000',
      endpoint: `http://127.0.0.1:${port}`,
      key: 'a.txt',
      destination: `${work}/`,
      retries: 0,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NetworkError);
    expect(failure).toMatchObject({ code: 'ECONNREFUSED' });
    expect((failure as Error).message).toMatch(
      new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}: .*Check that the endpoint is running`),
    );
  });
});
