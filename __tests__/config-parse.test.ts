// Input parsing: every parser (table tests + properties), parseOptions' cross-input rules, the endpoint
// and the error messages. Pure: no I/O (the destination rule gets a fake isDirectory).
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorMessage } from '../src/base/error-message.js';
import type { ByteRange } from '../src/base/request.js';
import { quoteValue } from '../src/base/text.js';
import { isLoopbackHost, resolveEndpoint } from '../src/config/endpoint.js';
import { InputError } from '../src/config/errors.js';
import { INPUT_NAMES, INPUTS, type InputName, type InputSpec } from '../src/config/inputs.js';
import { MiB } from '../src/config/options.js';
import { type ParseContext, parseOptions, type RawInputs } from '../src/config/parse.js';
import {
  PART_SIZE_MAX,
  PART_SIZE_MIN,
  parseInteger,
  parsePartSize,
  parseRange,
  parseShard,
  parseSize,
  parseTimeout,
  parseTrafficLimit,
} from '../src/config/parse-numbers.js';
import {
  parseBoolean,
  parseBucket,
  parseDate,
  parseGlobs,
  parseOverwrite,
  parseRegion,
  parseSseKey,
} from '../src/config/parse-values.js';

// ---------------------------------------------------------------------------------------------------------
// Helpers

function catchInputError(action: () => unknown): InputError {
  try {
    action();
  } catch (error: unknown) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError, but nothing was thrown');
}

interface RejectOptions {
  readonly secret?: boolean;
  readonly fix?: string;
  readonly rule?: string;
}

/** The message names the input, shows the value (or hides it), states a rule and a fix, on one line. */
function expectRejected(
  action: () => unknown,
  input: InputName,
  value: string | undefined,
  options: RejectOptions = {},
): InputError {
  const error = catchInputError(action);
  expect(error.input).toBe(input);
  expect(error.message).not.toMatch(/[\n\r]/);
  expect(error.message).toMatch(/: .+\. Fix: .+\.$/);
  if (value !== undefined) {
    if (options.secret === true) {
      expect(error.message).toContain('(hidden)');
      if (value.trim() !== '') expect(error.message).not.toContain(value.trim());
    } else {
      expect(error.message).toContain(`Input '${input}' = ${quoteValue(value.trim())}`);
    }
  }
  if (options.fix !== undefined) expect(error.fix).toContain(options.fix);
  if (options.rule !== undefined) expect(error.rule).toContain(options.rule);
  return error;
}

/** Anything but an InputError escaping a parser is a bug. */
function returnsOrInputError(action: () => unknown): void {
  try {
    action();
  } catch (error: unknown) {
    expect(error).toBeInstanceOf(InputError);
    expect(errorMessage(error)).not.toMatch(/[\n\r]/);
  }
}

function isDeeplyFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeeplyFrozen);
}

const GiB = 1024 * MiB;
const CWD = path.resolve('/work/ws');
const SECRET_KEY_32 = Buffer.alloc(32, 7).toString('base64');

function context(directories: readonly string[] = [], env: ParseContext['env'] = {}): ParseContext {
  const folders = new Set(directories.map((d) => path.resolve(CWD, d)));
  return { cwd: CWD, env, isDirectory: (p) => folders.has(p) };
}

const BASE = { bucket: 'examplebucket-1250000000', region: 'ap-guangzhou' } as const satisfies RawInputs;

// ---------------------------------------------------------------------------------------------------------
// Parsers

describe('parseSize', () => {
  it.each([
    ['512KiB', 512 * 1024],
    ['8MiB', 8 * MiB],
    ['1GiB', GiB],
    ['1.5GiB', 1.5 * GiB],
    ['20', 20 * MiB],
    ['0.5', MiB / 2],
    ['1048576B', MiB],
    ['20 MiB', 20 * MiB],
    ['20mib', 20 * MiB],
    [' 8MiB ', 8 * MiB],
    ['2TiB', 2 * 1024 * GiB],
    ['0.25KiB', 256],
  ])('%j → %d bytes', (text, bytes) => {
    expect(parseSize('part-size', text)).toBe(bytes);
  });

  it.each([
    ['10MB', '10MiB'],
    ['10mb', '10MiB'],
    ['1.5GB', '1.5GiB'],
    ['512KB', '512KiB'],
    ['1G', '1GiB'],
    ['10 MB', '10MiB'],
  ])('refuses the SI unit in %j and suggests %j', (text, suggestion) => {
    expectRejected(() => parseSize('part-size', text), 'part-size', text, {
      fix: suggestion,
      rule: 'ambiguous',
    });
  });

  it.each([
    'ten',
    '0',
    '0MiB',
    '0.0',
    '-5MiB',
    '+5MiB',
    '0.1B',
    '1.3KiB',
    '1e6',
    '',
    '5 5MiB',
    '9007199254740992B',
    '20MiBs',
    '.5MiB',
    '5.MiB',
    'MiB',
    '20\nMiB',
  ])('refuses %j', (text) => {
    expectRejected(() => parseSize('part-size', text), 'part-size', text);
  });

  it('round-trips a whole number of any binary unit', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(['B', 1], ['KiB', 1024], ['MiB', MiB], ['GiB', GiB], ['', MiB]),
        fc.integer({ min: 1, max: 1_000_000 }),
        ([unit, factor], count) => {
          expect(parseSize('part-size', `${count}${unit}`)).toBe(count * factor);
        },
      ),
    );
  });
});

describe('parsePartSize', () => {
  it.each([
    ['10', 10 * MiB],
    ['512KiB', PART_SIZE_MIN],
    ['5GiB', PART_SIZE_MAX],
    ['20MiB', 20 * MiB],
  ])('%j → %d bytes', (text, bytes) => {
    expect(parsePartSize(text)).toBe(bytes);
  });

  it.each(['256KiB', '5121GiB', '6GiB', '10MB', 'ten'])('refuses %j', (text) => {
    expectRejected(() => parsePartSize(text), 'part-size', text);
  });
});

describe('parseRange', () => {
  it.each([
    ['bytes=0-1023', { kind: 'closed', first: 0, last: 1023 }],
    ['bytes=5-5', { kind: 'closed', first: 5, last: 5 }],
    ['bytes=100-', { kind: 'from', first: 100 }],
    ['bytes=0-', { kind: 'from', first: 0 }],
    ['bytes=-500', { kind: 'suffix', length: 500 }],
    ['Bytes=0-1', { kind: 'closed', first: 0, last: 1 }],
    ['bytes=9007199254740991-', { kind: 'from', first: Number.MAX_SAFE_INTEGER }],
  ] satisfies Array<[string, ByteRange]>)('%j', (text, range) => {
    expect(parseRange(text)).toEqual(range);
  });

  it('names the rule and a fix for a backwards range', () => {
    const error = expectRejected(() => parseRange('bytes=5-2'), 'range', 'bytes=5-2', {
      rule: 'the last byte must not be before the first (bytes=first-last, bytes=first- or bytes=-suffix)',
    });
    expect(error.message).toMatch(/^Input 'range' = 'bytes=5-2': the last byte must not be before the first/);
  });

  it.each([
    ['bytes=0-1,5-6', 'one range'],
    ['bytes= 0-1', "'bytes=0-1'"],
    ['0-1023', "'bytes=0-1023'"],
    ['bytes=-0', 'bytes=-1024'],
    ['bytes=-', undefined],
    ['bytes=a-b', undefined],
    ['bytes=9007199254740992-', undefined],
    ['bytes=0-9007199254740992', undefined],
    ['items=0-1', undefined],
    ['bytes=1-2-3', undefined],
    ['bytes=-5-', undefined],
    ['', undefined],
    ['bytes=0x10-', undefined],
  ])('refuses %j', (text, fix) => {
    expectRejected(() => parseRange(text), 'range', text, fix === undefined ? {} : { fix });
  });

  const format = (range: ByteRange): string =>
    range.kind === 'closed'
      ? `bytes=${range.first}-${range.last}`
      : range.kind === 'from'
        ? `bytes=${range.first}-`
        : `bytes=-${range.length}`;
  const position = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
  const range: fc.Arbitrary<ByteRange> = fc.oneof(
    fc
      .tuple(position, position)
      .map(([a, b]) => ({ kind: 'closed' as const, first: Math.min(a, b), last: Math.max(a, b) })),
    position.map((first) => ({ kind: 'from' as const, first })),
    fc
      .integer({ min: 1, max: Number.MAX_SAFE_INTEGER })
      .map((length) => ({ kind: 'suffix' as const, length })),
  );

  it('round-trips every valid range', () => {
    fc.assert(
      fc.property(range, (r) => {
        expect(parseRange(format(r))).toEqual(r);
      }),
    );
  });
});

describe('parseShard', () => {
  it.each([
    ['1/1', 1, 1],
    ['1/2', 1, 2],
    ['2/2', 2, 2],
    ['1024/1024', 1024, 1024],
    [' 3/4 ', 3, 4],
  ])('%j', (text, index, count) => {
    expect(parseShard(text)).toEqual({ index, count });
  });

  it.each([
    ['3/2', "'2/2'"],
    ['0/2', "'1/2'"],
    ['1/0', undefined],
    ['a/b', undefined],
    ['1/1025', undefined],
    ['1 / 2', undefined],
    ['-1/2', undefined],
    ['1/2/3', undefined],
    ['1.5/2', undefined],
    ['2', undefined],
    ['', undefined],
    ['99999999999999999999/2', undefined],
  ])('refuses %j', (text, fix) => {
    expectRejected(() => parseShard(text), 'shard', text, fix === undefined ? {} : { fix });
  });

  it('accepts exactly 1 ≤ i ≤ n ≤ 1024', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 1100 }), fc.integer({ min: -5, max: 1100 }), (i, n) => {
        const valid = i >= 1 && i <= n && n <= 1024;
        if (valid) expect(parseShard(`${i}/${n}`)).toEqual({ index: i, count: n });
        else expect(() => parseShard(`${i}/${n}`)).toThrow(InputError);
      }),
    );
  });
});

describe('parseTrafficLimit', () => {
  it.each([819200, 838860800, 8388608])('%d', (bits) => {
    expect(parseTrafficLimit(String(bits))).toBe(bits);
  });

  it('explains the range and the unit for 100', () => {
    const error = expectRejected(() => parseTrafficLimit('100'), 'traffic-limit', '100', { fix: "'819200'" });
    expect(error.message).toContain('819200..838860800');
    expect(error.message).toContain('819200 bit/s = 100 KiB/s');
  });

  it.each(['1e6', '800KB', '838860801', '819199', '-819200', '8388608.0', '', '0x100000', '1_000_000'])(
    'refuses %j',
    (text) => {
      expectRejected(() => parseTrafficLimit(text), 'traffic-limit', text, { rule: '819200..838860800' });
    },
  );
});

describe('parseBoolean', () => {
  it.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['false', false],
    ['False', false],
    ['FALSE', false],
  ])('%j → %s', (text, value) => {
    expect(parseBoolean('crc', text)).toBe(value);
  });

  it.each(['yes', 'no', 'on', 'off', '1', '0', 'tRUE', 't', '', 'true false'])('refuses %j', (text) => {
    expectRejected(() => parseBoolean('crc', text), 'crc', text, { fix: "'true' or 'false'" });
  });
});

describe('parseInteger', () => {
  it.each([
    ['8', 8],
    ['1', 1],
    ['64', 64],
    ['008', 8],
  ])('%j → %d', (text, value) => {
    expect(parseInteger('concurrency', text, 1, 64)).toBe(value);
  });

  it.each(['0', '65', '+8', '8.0', '1e1', '-1', ' ', 'eight', '0x10', '99999999999999999999'])(
    'refuses %j',
    (text) => {
      expectRejected(() => parseInteger('concurrency', text, 1, 64), 'concurrency', text, { rule: '1..64' });
    },
  );
});

describe('parseTimeout', () => {
  it.each([
    ['60', 60_000],
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['0.5', 500],
    ['1.5s', 1500],
    ['3600', 3_600_000],
  ])('%j → %d ms', (text, ms) => {
    expect(parseTimeout(text)).toBe(ms);
  });

  it.each(['0', '0s', '0ms', '2h', '3601', '61m', '1.0005s', '10 s', '-1', 'ten', '1d', '', '1e3'])(
    'refuses %j',
    (text) => {
      expectRejected(() => parseTimeout(text), 'timeout', text);
    },
  );
});

describe('parseDate', () => {
  const instant = Date.UTC(2015, 9, 21, 7, 28, 0);
  it.each([
    ['Wed, 21 Oct 2015 07:28:00 GMT', instant],
    ['2015-10-21T07:28:00Z', instant],
    ['2015-10-21T07:28Z', instant],
    ['2015-10-21t07:28:00z', instant],
    ['2015-10-21 07:28:00Z', instant],
    ['2015-10-21T15:28:00+08:00', instant],
    ['2015-10-21T02:28:00-0500', instant],
    ['2015-10-21T07:28:00.123Z', instant + 123],
    ['2015-10-21', Date.UTC(2015, 9, 21)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
  ])('%j', (text, time) => {
    expect(parseDate('if-modified-since', text).getTime()).toBe(time);
  });

  it.each([
    ['yesterday', undefined],
    ['2015-10-21T07:28:00', "'2015-10-21T07:28:00Z'"],
    ['2023-02-29', undefined],
    ['2015-13-01', undefined],
    ['2015-10-21T25:00:00Z', undefined],
    ['2015-10-21T07:28:00+24:00', undefined],
    ['Thu, 21 Oct 2015 07:28:00 GMT', "'Wed, 21 Oct 2015 07:28:00 GMT'"],
    ['Wed, 31 Feb 2015 07:28:00 GMT', undefined],
    ['Wed, 21 Oct 2015 07:28:00 UTC', undefined],
    ['21 Oct 2015', undefined],
    ['1445412480', undefined],
    ['', undefined],
  ])('refuses %j', (text, fix) => {
    expectRejected(
      () => parseDate('if-modified-since', text),
      'if-modified-since',
      text,
      fix === undefined ? {} : { fix },
    );
  });

  it('reads back what Date prints, in both formats', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date(Date.UTC(1970, 0, 1)),
          max: new Date(Date.UTC(9999, 11, 31)),
          noInvalidDate: true,
        }),
        (date) => {
          expect(parseDate('if-unmodified-since', date.toISOString()).getTime()).toBe(date.getTime());
          const seconds = Math.floor(date.getTime() / 1000) * 1000;
          expect(parseDate('if-unmodified-since', date.toUTCString()).getTime()).toBe(seconds);
        },
      ),
    );
  });
});

describe('parseBucket', () => {
  it.each([
    'examplebucket-1250000000',
    'examplebucket-1-1250000000',
    '1-newproject-1250000000',
    'mybucket123-1250000000',
    'a-1',
  ])('%j', (text) => {
    expect(parseBucket(text)).toBe(text);
  });

  it.each([
    ['examplebucket', "'examplebucket-1250000000'"],
    ['ExampleBucket-1250000000', "'examplebucket-1250000000'"],
    ['example_bucket-1250000000', 'examplebucket-1250000000'],
    ['-bucket-1250000000', undefined],
    ['bucket--1250000000', undefined],
    ['my.bucket-1250000000', undefined],
    ['bucket-12a', undefined],
    ['-1250000000', undefined],
    [`${'a'.repeat(50)}-1250000000`, undefined],
    ['', undefined],
    ['example bucket-1250000000', undefined],
    ['examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com', undefined],
  ])('refuses %j', (text, fix) => {
    expectRejected(() => parseBucket(text), 'bucket', text, fix === undefined ? {} : { fix });
  });
});

describe('parseRegion', () => {
  it.each([
    'ap-guangzhou',
    'na-siliconvalley',
    'ap-shanghai-fsi',
    'ap-beijing-1',
    'eu-frankfurt',
    'sa-saopaulo',
  ])('%j', (text) => {
    expect(parseRegion(text)).toBe(text);
  });

  it.each([
    ['accelerate', "'accelerate: true'"],
    ['AP-GUANGZHOU', "'ap-guangzhou'"],
    ['cos.ap-guangzhou', "'ap-guangzhou'"],
    ['gz', "'ap-guangzhou'"],
    ['guangzhou', undefined],
    ['ap_guangzhou', undefined],
    ['ap-', undefined],
    ['', undefined],
    ['ap-guangzhou.myqcloud.com', undefined],
    ['ap guangzhou', undefined],
  ])('refuses %j', (text, fix) => {
    expectRejected(() => parseRegion(text), 'region', text, fix === undefined ? {} : { fix });
  });
});

describe('parseOverwrite', () => {
  it.each(['changed', 'always', 'never'] as const)('%j', (text) => {
    expect(parseOverwrite(text)).toBe(text);
  });

  it.each(['Always', 'skip', 'true', ''])('refuses %j', (text) => {
    expectRejected(() => parseOverwrite(text), 'overwrite', text);
  });
});

describe('parseGlobs', () => {
  it.each([
    ['a/*.txt\n\n  # a comment\n**/*.bin\r\n', ['a/*.txt', '**/*.bin']],
    ['', []],
    ['  \n# only comments\n', []],
    ['\\#literal-hash', ['\\#literal-hash']],
    ['!keep/**', ['!keep/**']],
    ['one\rtwo', ['one', 'two']],
  ])('%j', (text, globs) => {
    expect(parseGlobs('include', text)).toEqual(globs);
  });

  it.each([
    ['ok/*\n/abs/*.txt', '/abs/*.txt', "'abs/*.txt'"],
    ['a\u0000b', 'a\u0000b', undefined],
  ])('refuses %j, naming the bad line', (text, line, fix) => {
    expectRejected(() => parseGlobs('exclude', text), 'exclude', line, fix === undefined ? {} : { fix });
  });
});

describe('parseSseKey', () => {
  it('accepts base64 of 32 bytes', () => {
    expect(parseSseKey(SECRET_KEY_32)).toBe(SECRET_KEY_32);
    expect(parseSseKey(` ${SECRET_KEY_32}\n`)).toBe(SECRET_KEY_32);
  });

  it.each([
    Buffer.alloc(16, 1).toString('base64'),
    Buffer.alloc(33, 1).toString('base64'),
    'not base64 at all!!',
    `${'A'.repeat(42)}B=`,
    SECRET_KEY_32.replace(/=$/, ''),
    Buffer.alloc(32, 9).toString('base64url'),
  ])('refuses %j without showing it', (text) => {
    expectRejected(() => parseSseKey(text), 'sse-customer-key', text, { secret: true, fix: 'openssl rand' });
  });
});

describe('every parser returns a value or throws an InputError, never anything else', () => {
  const text = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.stringMatching(/^(bytes=)?\d{0,20}-?\d{0,20}(,\d-\d)?$/),
    fc.stringMatching(/^\d{0,20}(\.\d{0,20})?\s?(B|KiB|MiB|GiB|TiB|KB|MB|mb|ms|s|m|h)?$/),
    fc.stringMatching(/^\d{1,6}\/\d{1,6}$/),
    fc.stringMatching(/^[a-z0-9-]{0,70}$/),
  );
  const parsers: ReadonlyArray<[string, (t: string) => unknown]> = [
    ['parseSize', (t) => parseSize('part-size', t)],
    ['parsePartSize', parsePartSize],
    ['parseRange', parseRange],
    ['parseShard', parseShard],
    ['parseTrafficLimit', parseTrafficLimit],
    ['parseBoolean', (t) => parseBoolean('crc', t)],
    ['parseInteger', (t) => parseInteger('retries', t, 0, 20)],
    ['parseTimeout', parseTimeout],
    ['parseDate', (t) => parseDate('if-modified-since', t)],
    ['parseBucket', parseBucket],
    ['parseRegion', parseRegion],
    ['parseOverwrite', parseOverwrite],
    ['parseGlobs', (t) => parseGlobs('include', t)],
    ['parseSseKey', parseSseKey],
  ];
  it.each(parsers)('%s', (_name, parse) => {
    fc.assert(
      fc.property(text, (t) => {
        returnsOrInputError(() => parse(t));
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Endpoint

describe('resolveEndpoint', () => {
  const bucket = 'b-1250000000';
  it.each([
    [{ region: 'ap-guangzhou' }, 'https://b-1250000000.cos.ap-guangzhou.myqcloud.com'],
    [{ accelerate: true }, 'https://b-1250000000.cos.accelerate.myqcloud.com'],
    [{ accelerate: true, region: 'ap-guangzhou' }, 'https://b-1250000000.cos.accelerate.myqcloud.com'],
    [
      { region: 'ap-beijing', endpoint: 'https://{bucket}.cos-internal.{region}.tencentcos.cn/' },
      'https://b-1250000000.cos-internal.ap-beijing.tencentcos.cn',
    ],
    [{ endpoint: 'http://127.0.0.1:9000' }, 'http://127.0.0.1:9000'],
    [{ endpoint: 'http://127.0.0.1:9000///' }, 'http://127.0.0.1:9000'],
    [{ endpoint: 'http://localhost:9000/{bucket}/' }, 'http://localhost:9000/b-1250000000'],
    [{ endpoint: 'https://Example.COM' }, 'https://example.com'],
  ])('%j → %s', (spec, url) => {
    expect(resolveEndpoint({ bucket, accelerate: false, ...spec })).toBe(url);
  });

  it.each([
    [{ endpoint: 'ftp://example.com' }, 'endpoint', 'ftp://example.com'],
    [{ endpoint: 'localhost:9000' }, 'endpoint', 'localhost:9000'],
    [{ endpoint: 'example.com' }, 'endpoint', 'example.com'],
    [{ endpoint: 'https://example.com/?a=1' }, 'endpoint', 'https://example.com/?a=1'],
    [{ endpoint: 'https://example.com/?' }, 'endpoint', 'https://example.com/?'],
    [{ endpoint: 'https://example.com#top' }, 'endpoint', 'https://example.com#top'],
    [{ endpoint: 'https://exa mple.com' }, 'endpoint', 'https://exa mple.com'],
    [{ endpoint: 'https://{bucket}.{zone}.example.com' }, 'endpoint', 'https://{bucket}.{zone}.example.com'],
    [{ endpoint: 'https://{bucket}.cos.{region}.myqcloud.com' }, 'region', undefined],
    [{}, 'region', undefined],
    [{ accelerate: true, endpoint: 'http://127.0.0.1:9000' }, 'accelerate', 'true'],
  ] as const)('%j → InputError on %s', (spec, input, value) => {
    expectRejected(() => resolveEndpoint({ bucket, accelerate: false, ...spec }), input, value);
  });

  it('never shows credentials written into the URL', () => {
    const error = expectRejected(
      () => resolveEndpoint({ bucket, accelerate: false, endpoint: 'https://user:s3cr3t@example.com' }),
      'endpoint',
      undefined,
      { fix: 'secret-id' },
    );
    expect(error.message).not.toContain('s3cr3t');
    expect(error.message).toContain('https://***@example.com');
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['http://127.0.0.1:9000', true],
    ['http://127.5.6.7', true],
    ['http://localhost:80/x', true],
    ['http://cos.localhost', true],
    ['http://[::1]:9000', true],
    ['http://[::ffff:127.0.0.1]:9000', true],
    ['https://example.com', false],
    ['http://10.0.0.1', false],
    ['http://127.0.0.1.example.com', false],
    ['http://[::2]', false],
    ['not a url', false],
  ])('%s → %s', (url, loopback) => {
    expect(isLoopbackHost(url)).toBe(loopback);
  });

  it('takes a URL object', () => {
    expect(isLoopbackHost(new URL('http://127.0.0.1/'))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Errors

describe('InputError and errorMessage', () => {
  it('builds one line: input, value, rule, fix; keeps the cause', () => {
    const cause = new Error('inner');
    const error = new InputError({ input: 'range', value: 'x', rule: 'a rule', fix: 'a fix', cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('InputError');
    expect(error.message).toBe("Input 'range' = 'x': a rule. Fix: a fix.");
    expect(error.cause).toBe(cause);
  });

  it('hides secret values, says when an input is not set, escapes line breaks, cuts long values', () => {
    expect(new InputError({ input: 'secret-key', value: 'abc', rule: 'r', fix: 'f' }).message).toBe(
      "Input 'secret-key' = (hidden): r. Fix: f.",
    );
    expect(new InputError({ input: 'bucket', rule: 'r', fix: 'f' }).message).toBe(
      "Input 'bucket' (not set): r. Fix: f.",
    );
    expect(new InputError({ input: 'key', value: 'a\nb\u0000', rule: 'r', fix: 'f' }).message).toBe(
      "Input 'key' = 'a\\nb\\u0000': r. Fix: f.",
    );
    expect(
      new InputError({ input: 'key', value: 'k'.repeat(1000), rule: 'r', fix: 'f' }).message.length,
    ).toBeLessThan(300);
  });

  it('errorMessage takes anything', () => {
    expect(errorMessage(new TypeError('boom'))).toBe('boom');
    expect(errorMessage('text')).toBe('text');
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(undefined)).toBe('undefined');
    expect(errorMessage(Object.create(null))).toBe('[object Object]');
  });
});

// ---------------------------------------------------------------------------------------------------------
// parseOptions

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
      concurrency: 8,
      crc: true,
      overwrite: 'changed',
      dryRun: false,
      cache: false,
    });
    expect(options.partSize).toBe(parsePartSize(String(INPUTS['part-size'].default)));
    expect(options.connection.timeoutMs).toBe(parseTimeout(INPUTS.timeout.default));
    expect(options.concurrency).toBe(Number(INPUTS.concurrency.default));
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

  describe('credentials', () => {
    const TC = { TENCENTCLOUD_SECRET_ID: 'tc-id', TENCENTCLOUD_SECRET_KEY: 'tc-key' };
    const COS = { COS_SECRET_ID: 'cos-id', COS_SECRET_KEY: 'cos-key' };
    const credentialsOf = (raw: RawInputs, env: ParseContext['env']) =>
      parseOptions({ ...BASE, key: 'a', ...raw }, context([], env)).connection.credentials;

    it.each([
      ['none → anonymous', {}, {}, undefined],
      [
        'inputs',
        { 'secret-id': 'in-id', 'secret-key': 'in-key' },
        {},
        { secretId: 'in-id', secretKey: 'in-key' },
      ],
      ['TENCENTCLOUD_* env', {}, TC, { secretId: 'tc-id', secretKey: 'tc-key' }],
      ['COS_* env', {}, COS, { secretId: 'cos-id', secretKey: 'cos-key' }],
      ['TENCENTCLOUD_* before COS_*', {}, { ...COS, ...TC }, { secretId: 'tc-id', secretKey: 'tc-key' }],
      [
        'inputs before env',
        { 'secret-id': 'in-id', 'secret-key': 'in-key' },
        { ...TC, ...COS },
        { secretId: 'in-id', secretKey: 'in-key' },
      ],
      [
        'env session token with env keys',
        {},
        { ...TC, TENCENTCLOUD_SESSION_TOKEN: 'tc-token' },
        { secretId: 'tc-id', secretKey: 'tc-key', sessionToken: 'tc-token' },
      ],
      [
        'env session token not mixed with input keys',
        { 'secret-id': 'in-id', 'secret-key': 'in-key' },
        { ...TC, TENCENTCLOUD_SESSION_TOKEN: 'tc-token' },
        { secretId: 'in-id', secretKey: 'in-key' },
      ],
      [
        'input session token with env keys',
        { 'session-token': 'in-token' },
        TC,
        { secretId: 'tc-id', secretKey: 'tc-key', sessionToken: 'in-token' },
      ],
      [
        'blank env values are absent',
        {},
        { TENCENTCLOUD_SECRET_ID: '', TENCENTCLOUD_SECRET_KEY: ' ', ...COS },
        {
          secretId: 'cos-id',
          secretKey: 'cos-key',
        },
      ],
    ] as const)('%s', (_label, raw, env, expected) => {
      expect(credentialsOf(raw, env)).toEqual(expected);
    });

    it.each([
      [{ 'secret-id': 'in-id' }, {}, 'secret-key'],
      [{ 'secret-key': 'in-key' }, TC, 'secret-id'],
      [{ 'session-token': 'in-token' }, {}, 'session-token'],
      [{}, { TENCENTCLOUD_SESSION_TOKEN: 'tc-token' }, 'session-token'],
      [{}, { TENCENTCLOUD_SECRET_ID: 'tc-id', ...COS }, 'secret-key'],
      [{}, { COS_SECRET_KEY: 'cos-key' }, 'secret-id'],
    ] as const)('%j with env %j → InputError naming %s', (raw, env, input) => {
      const error = expectRejected(() => credentialsOf(raw, env), input, undefined);
      for (const secret of ['in-id', 'in-key', 'in-token', 'tc-id', 'tc-token', 'cos-key']) {
        expect(error.message).not.toContain(secret);
      }
    });

    it('never shows a secret in a message', () => {
      expectRejected(
        () => credentialsOf({ 'secret-id': 'AKID with space', 'secret-key': 'k' }, {}),
        'secret-id',
        'AKID with space',
        { secret: true },
      );
      expectRejected(
        () => credentialsOf({}, { COS_SECRET_ID: 'ok', COS_SECRET_KEY: 'bad\u0001key' }),
        'secret-key',
        'bad\u0001key',
        { secret: true, rule: 'env COS_SECRET_KEY' },
      );
    });
  });

  describe('destination', () => {
    const destinationOf = (raw: RawInputs, directories: readonly string[] = []) =>
      parseOptions({ ...BASE, ...raw }, context(directories)).destination;

    it.each([
      [{ key: 'dir/file.bin' }, [], path.join(CWD, 'file.bin')],
      [{ key: 'file.bin' }, [], path.join(CWD, 'file.bin')],
      [{ key: 'dir/file.bin', destination: 'out/' }, [], path.join(CWD, 'out', 'file.bin')],
      [{ key: 'dir/file.bin', destination: 'out' }, ['out'], path.join(CWD, 'out', 'file.bin')],
      [{ key: 'dir/file.bin', destination: 'out' }, [], path.join(CWD, 'out')],
      [{ key: 'dir/file.bin', destination: '.' }, ['.'], path.join(CWD, 'file.bin')],
      [{ key: 'dir/file.bin', destination: 'a/../b.bin' }, [], path.join(CWD, 'b.bin')],
      [{ key: 'dir/file.bin', destination: path.resolve('/tmp/x.bin') }, [], path.resolve('/tmp/x.bin')],
      [{ key: 'a/..', destination: 'named.bin' }, [], path.join(CWD, 'named.bin')],
      [{ prefix: 'p/' }, [], CWD],
      [{ prefix: 'p/', destination: 'mirror/' }, [], path.join(CWD, 'mirror')],
      [{ prefix: '/', destination: 'mirror' }, [], path.join(CWD, 'mirror')],
    ] as const)('%j (folders %j) → %s', (raw, directories, expected) => {
      expect(destinationOf(raw, directories)).toBe(expected);
    });

    it('asks the file system only about a key destination', () => {
      const asked: string[] = [];
      const spy: ParseContext = {
        cwd: CWD,
        env: {},
        isDirectory: (p) => {
          asked.push(p);
          return false;
        },
      };
      parseOptions({ ...BASE, prefix: 'p/', destination: 'mirror' }, spy);
      parseOptions({ ...BASE, key: 'k' }, spy);
      expect(asked).toEqual([]);
      parseOptions({ ...BASE, key: 'k', destination: 'd' }, spy);
      expect(asked).toEqual([path.join(CWD, 'd')]);
    });

    it.each([
      [{ key: 'dir/' }, 'key', 'dir/', "'prefix: dir/'"],
      [{ key: '/a.txt' }, 'key', '/a.txt', "'a.txt'"],
      [{ key: 'a/..' }, 'key', 'a/..', undefined],
      [{ key: 'a/.', destination: 'out/' }, 'key', 'a/.', undefined],
      [{ key: 'a\u0000b' }, 'key', 'a\u0000b', undefined],
      [{ key: 'a', destination: '~/x' }, 'destination', '~/x', undefined],
      [{ key: 'a', destination: 'x\u0000' }, 'destination', 'x\u0000', undefined],
    ] as const)('refuses %j', (raw, input, value, fix) => {
      expectRejected(() => destinationOf(raw), input, value, fix === undefined ? {} : { fix });
    });

    it('needs an absolute cwd (a programming error, not an input error)', () => {
      expect(() => parseOptions({ ...BASE, key: 'a' }, { ...context(), cwd: 'relative' })).toThrow(TypeError);
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
