// parseOptions: defaults, every input of an object download and a prefix mirror, the cross-input
// rules, and frozen options. Pure: the destination rule gets a fake isDirectory.
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorMessage } from '../src/base/error-message.js';
import { InputError } from '../src/config/errors.js';
import { INPUT_NAMES, INPUTS, type InputName, type InputSpec } from '../src/config/inputs.js';
import { MiB } from '../src/config/options.js';
import { parseOptions } from '../src/config/parse.js';
import { parsePartSize, parseTimeout } from '../src/config/parse-numbers.js';
import {
  BASE,
  CWD,
  catchInputError,
  context,
  expectRejected,
  isDeeplyFrozen,
  SECRET_KEY_32,
} from './helpers/parse-inputs.js';

describe('parseOptions', () => {
  it('fills every default from the INPUTS table', () => {
    const options = parseOptions({ ...BASE, key: 'dir/file.bin' }, context());
    expect(options).toEqual({
      connection: {
        bucket: 'examplebucket-1250000000',
        region: 'ap-guangzhou',
        endpoint: 'https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com',
        retries: 5,
        timeoutMs: 60_000,
      },
      target: { kind: 'object', key: 'dir/file.bin', conditions: {}, responseOverrides: {} },
      destination: path.join(CWD, 'file.bin'),
      partSize: 20 * MiB,
      concurrency: 'auto',
      crc: true,
      fsync: false,
      overwrite: 'changed',
      dryRun: false,
      cache: false,
    });
    expect(options.partSize).toBe(parsePartSize(String(INPUTS['part-size'].default)));
    expect(options.connection.timeoutMs).toBe(parseTimeout(INPUTS.timeout.default));
    expect(options.concurrency).toBe(INPUTS.concurrency.default);
    expect(options.connection.retries).toBe(Number(INPUTS.retries.default));
  });

  it('returns a deeply frozen object', () => {
    const options = parseOptions(
      {
        ...BASE,
        prefix: 'logs/',
        include: '*.txt\n*.log',
        exclude: 'tmp/**',
        shard: '1/2',
        'secret-id': 'AKIDexample',
        'secret-key': 'keyexample',
        'session-token': 'token',
      },
      context(),
    );
    expect(isDeeplyFrozen(options)).toBe(true);
    const withDates = parseOptions(
      { ...BASE, key: 'a', 'if-modified-since': '2015-10-21', range: 'bytes=0-1' },
      context(),
    );
    expect(isDeeplyFrozen(withDates)).toBe(true);
  });

  it('reads every input of an object download', () => {
    const options = parseOptions(
      {
        ...BASE,
        key: 'a/b.bin',
        'version-id': 'MTg0NDUxNTc1NjIzMTQ1MDAwODg',
        range: 'bytes=-100',
        'if-match': '"abc"',
        'if-none-match': '"def"',
        'if-modified-since': 'Wed, 21 Oct 2015 07:28:00 GMT',
        'if-unmodified-since': '2015-10-22T00:00:00Z',
        'response-content-type': 'text/plain',
        'response-cache-control': 'no-cache',
        'response-content-disposition': 'attachment; filename="x.bin"',
        'response-content-encoding': 'gzip',
        'response-content-language': 'en',
        'response-expires': 'Thu, 01 Dec 1994 16:00:00 GMT',
        'part-size': '8MiB',
        concurrency: '16',
        retries: '0',
        timeout: '500ms',
        'traffic-limit': '8388608',
        crc: 'False',
        overwrite: 'always',
        'dry-run': 'TRUE',
        'sse-customer-key': SECRET_KEY_32,
        accelerate: 'true',
      },
      context(),
    );
    expect(options.target).toEqual({
      kind: 'object',
      key: 'a/b.bin',
      versionId: 'MTg0NDUxNTc1NjIzMTQ1MDAwODg',
      range: { kind: 'suffix', length: 100 },
      conditions: {
        ifMatch: '"abc"',
        ifNoneMatch: '"def"',
        ifModifiedSince: new Date(Date.UTC(2015, 9, 21, 7, 28)),
        ifUnmodifiedSince: new Date(Date.UTC(2015, 9, 22)),
      },
      responseOverrides: {
        contentType: 'text/plain',
        cacheControl: 'no-cache',
        contentDisposition: 'attachment; filename="x.bin"',
        contentEncoding: 'gzip',
        contentLanguage: 'en',
        expires: 'Thu, 01 Dec 1994 16:00:00 GMT',
      },
    });
    expect(options).toMatchObject({
      partSize: 8 * MiB,
      concurrency: 16,
      trafficLimit: 8388608,
      crc: false,
      overwrite: 'always',
      dryRun: true,
      sseCustomerKey: SECRET_KEY_32,
      connection: {
        retries: 0,
        timeoutMs: 500,
        endpoint: 'https://examplebucket-1250000000.cos.accelerate.myqcloud.com',
      },
    });
  });

  it('reads every input of a prefix mirror', () => {
    const options = parseOptions(
      {
        ...BASE,
        prefix: 'logs/2024/',
        include: '**/*.gz\n# not this line\n',
        exclude: 'tmp/**',
        delete: 'true',
        shard: '2/3',
        cache: 'true',
        'cache-key': 'v2',
        destination: 'mirror',
      },
      context(),
    );
    expect(options.target).toEqual({
      kind: 'prefix',
      prefix: 'logs/2024/',
      include: ['**/*.gz'],
      exclude: ['tmp/**'],
      delete: true,
      allowEmpty: false,
      shard: { index: 2, count: 3 },
    });
    expect(options).toMatchObject({ cache: true, cacheKey: 'v2', destination: path.join(CWD, 'mirror') });
  });

  it('treats empty and blank values as absent (how @actions/core returns unset inputs)', () => {
    const options = parseOptions(
      { ...BASE, key: 'k.txt', prefix: '', range: '', 'secret-id': '  ', shard: '', 'part-size': '' },
      context(),
    );
    expect(options.target.kind).toBe('object');
    expect(options.connection.credentials).toBeUndefined();
    expect(options.partSize).toBe(20 * MiB);
  });

  describe('says what is wrong before any request (design.md scenarios)', () => {
    it('both key and prefix', () => {
      const error = catchInputError(() => parseOptions({ ...BASE, key: 'a.txt', prefix: 'dir/' }, context()));
      expect(error.input).toBe('key');
      expect(error.message).toMatch(
        /^Inputs 'key' = 'a.txt' and 'prefix' = 'dir\/' are both set: .+ Fix: .+\.$/,
      );
    });

    it('neither key nor prefix', () => {
      const error = catchInputError(() => parseOptions({ ...BASE }, context()));
      expect(error.input).toBe('key');
      expect(error.message).toContain("'prefix'");
      expect(error.message).toContain('Fix: ');
    });

    it.each([
      [{ range: 'bytes=5-2' }, 'range', 'bytes=5-2'],
      [{ range: '0-100' }, 'range', '0-100'],
      [{ 'traffic-limit': '100' }, 'traffic-limit', '100'],
      [{ 'part-size': '10MB' }, 'part-size', '10MB'],
      [{ 'part-size': 'ten' }, 'part-size', 'ten'],
      [{ bucket: 'examplebucket' }, 'bucket', 'examplebucket'],
      [{ bucket: 'Example-125' }, 'bucket', 'Example-125'],
      [{ region: 'guangzhou' }, 'region', 'guangzhou'],
      [{ concurrency: '0' }, 'concurrency', '0'],
      [{ concurrency: '65' }, 'concurrency', '65'],
      [{ retries: '21' }, 'retries', '21'],
      [{ timeout: '2h' }, 'timeout', '2h'],
      [{ crc: 'yes' }, 'crc', 'yes'],
      [{ overwrite: 'skip' }, 'overwrite', 'skip'],
      [{ 'dry-run': '1' }, 'dry-run', '1'],
      [{ accelerate: 'on' }, 'accelerate', 'on'],
      [{ endpoint: 'ftp://x' }, 'endpoint', 'ftp://x'],
      [{ 'if-modified-since': 'yesterday' }, 'if-modified-since', 'yesterday'],
      [{ 'if-match': '"a"\r\nX-Evil: 1' }, 'if-match', '"a"\r\nX-Evil: 1'],
      [{ 'response-content-type': 'text/plain\nX: y' }, 'response-content-type', 'text/plain\nX: y'],
      [{ 'sse-customer-key': 'short' }, 'sse-customer-key', undefined],
    ] as const)('%j', (inputs, input, value) => {
      expectRejected(() => parseOptions({ ...BASE, key: 'a.txt', ...inputs }, context()), input, value);
    });

    it('part-size 10 is 10 MiB', () => {
      expect(parseOptions({ ...BASE, key: 'a', 'part-size': '10' }, context()).partSize).toBe(10 * MiB);
    });

    it('shard 3/2', () => {
      expectRejected(() => parseOptions({ ...BASE, prefix: 'p/', shard: '3/2' }, context()), 'shard', '3/2');
    });

    it('missing bucket', () => {
      expectRejected(
        () => parseOptions({ region: 'ap-guangzhou', key: 'a' }, context()),
        'bucket',
        undefined,
        {
          fix: 'examplebucket-1250000000',
        },
      );
    });

    it('missing region for the default endpoint, but not for accelerate or a plain URL', () => {
      expectRejected(() => parseOptions({ bucket: BASE.bucket, key: 'a' }, context()), 'region', undefined);
      const accelerated = parseOptions({ bucket: BASE.bucket, key: 'a', accelerate: 'true' }, context());
      expect(accelerated.connection.region).toBeUndefined();
      const local = parseOptions(
        { bucket: BASE.bucket, key: 'a', endpoint: 'http://127.0.0.1:9000/' },
        context(),
      );
      expect(local.connection.endpoint).toBe('http://127.0.0.1:9000');
    });

    it('accelerate with a custom endpoint', () => {
      expectRejected(
        () =>
          parseOptions(
            { ...BASE, key: 'a', accelerate: 'true', endpoint: 'http://127.0.0.1:9000' },
            context(),
          ),
        'accelerate',
        'true',
      );
    });
  });

  describe('inputs that belong to one kind of download', () => {
    const objectOnly: ReadonlyArray<[InputName, string]> = [
      ['version-id', 'v1'],
      ['range', 'bytes=0-1'],
      ['if-match', '"e"'],
      ['if-none-match', '"e"'],
      ['if-modified-since', '2015-10-21'],
      ['if-unmodified-since', '2015-10-21'],
      ['response-cache-control', 'no-cache'],
      ['response-content-disposition', 'inline'],
      ['response-content-encoding', 'gzip'],
      ['response-content-language', 'en'],
      ['response-content-type', 'text/plain'],
      ['response-expires', '0'],
    ];
    it.each(objectOnly)('%s only with key', (name, value) => {
      expect(() => parseOptions({ ...BASE, key: 'a', [name]: value }, context())).not.toThrow();
      expectRejected(() => parseOptions({ ...BASE, prefix: 'p/', [name]: value }, context()), name, value, {
        rule: "'key'",
      });
    });

    const prefixOnly: ReadonlyArray<[InputName, string]> = [
      ['include', '*.txt'],
      ['exclude', '*.tmp'],
      ['shard', '1/2'],
      ['delete', 'true'],
      ['cache', 'true'],
    ];
    it.each(prefixOnly)('%s only with prefix', (name, value) => {
      const mirror = { ...BASE, prefix: 'p/', destination: 'mirror', [name]: value };
      expect(() => parseOptions(mirror, context())).not.toThrow();
      expectRejected(() => parseOptions({ ...BASE, key: 'a', [name]: value }, context()), name, value, {
        rule: "'prefix'",
      });
    });

    it.each(['.', '', '..'])('cache refuses a destination that holds the workspace: %j', (destination) => {
      const raw = { ...BASE, prefix: 'p/', cache: 'true', ...(destination === '' ? {} : { destination }) };
      expectRejected(() => parseOptions(raw, context()), 'destination', destination || '.', {
        rule: 'saved whole',
      });
    });

    it('the action.yml defaults of delete and cache (false) are fine with key', () => {
      const options = parseOptions(
        { ...BASE, key: 'a', delete: 'false', cache: 'false', 'dry-run': 'false' },
        context(),
      );
      expect(options.cache).toBe(false);
    });

    it('cache-key only with cache: true', () => {
      expectRejected(
        () => parseOptions({ ...BASE, prefix: 'p/', 'cache-key': 'v1' }, context()),
        'cache-key',
        'v1',
      );
      expectRejected(
        () => parseOptions({ ...BASE, prefix: 'p/', cache: 'true', 'cache-key': 'a,b' }, context()),
        'cache-key',
        'a,b',
        { fix: "'a-b'" },
      );
    });
  });

  describe('prefix', () => {
    it.each([
      ['/', ''],
      ['dir/', 'dir/'],
      ['dir', 'dir'],
      ['a b/c/', 'a b/c/'],
    ])('%j → %j', (prefix, expected) => {
      const options = parseOptions({ ...BASE, prefix }, context());
      expect(options.target).toMatchObject({ kind: 'prefix', prefix: expected });
    });

    it('refuses a leading / other than the whole bucket', () => {
      expectRejected(() => parseOptions({ ...BASE, prefix: '/dir/' }, context()), 'prefix', '/dir/', {
        fix: "'dir/'",
      });
    });
  });

  it('never throws anything but InputError, and always returns frozen options', () => {
    const plausible: Partial<Record<InputName, fc.Arbitrary<string>>> = {
      bucket: fc.constantFrom('examplebucket-1250000000', 'bad', ''),
      region: fc.constantFrom('ap-guangzhou', 'accelerate', ''),
      key: fc.constantFrom('a/b.txt', 'dir/', '', 'x'),
      prefix: fc.constantFrom('/', 'p/', '', '/p'),
      range: fc.constantFrom('bytes=0-9', 'bytes=9-0', ''),
      shard: fc.constantFrom('1/2', '3/2', ''),
      'part-size': fc.constantFrom('8MiB', '10MB', '10', ''),
      'secret-id': fc.constantFrom('id', ''),
      'secret-key': fc.constantFrom('key', ''),
      accelerate: fc.constantFrom('true', 'false', ''),
      endpoint: fc.constantFrom('http://127.0.0.1:9000', 'https://{bucket}.x.{region}.cn', ''),
    };
    const value = (name: InputName) =>
      fc.oneof(fc.string(), fc.string({ unit: 'binary' }), plausible[name] ?? fc.constant(''));
    const raw = fc.record(
      Object.fromEntries(INPUT_NAMES.map((name) => [name, value(name)])) as Record<
        InputName,
        fc.Arbitrary<string>
      >,
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        raw,
        fc.boolean(),
        fc.dictionary(
          fc.constantFrom('TENCENTCLOUD_SECRET_ID', 'COS_SECRET_KEY', 'TENCENTCLOUD_SESSION_TOKEN'),
          fc.string(),
        ),
        (inputs, isDir, env) => {
          try {
            const options = parseOptions(inputs, { cwd: CWD, env, isDirectory: () => isDir });
            expect(isDeeplyFrozen(options)).toBe(true);
            expect(path.isAbsolute(options.destination)).toBe(true);
          } catch (error: unknown) {
            expect(error).toBeInstanceOf(InputError);
            expect(errorMessage(error)).not.toMatch(/[\n\r]/);
            expect(errorMessage(error)).toContain('Fix: ');
            for (const name of INPUT_NAMES) {
              const secret = inputs[name];
              if ((INPUTS[name] as InputSpec).secret && secret !== undefined && secret.trim().length >= 8) {
                expect(errorMessage(error)).not.toContain(secret.trim());
              }
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
