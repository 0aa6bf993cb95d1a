// The number parsers (table tests + properties): sizes, part size, byte ranges, shards, traffic limit,
// integers and timeouts. Pure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ByteRange } from '../src/base/request.js';
import { InputError } from '../src/config/errors.js';
import { MiB } from '../src/config/options.js';
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
import { expectRejected } from './helpers/parse-inputs.js';

const GiB = 1024 * MiB;

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
