// The word, name and date parsers (table tests + properties): booleans, dates, bucket, region, the
// overwrite mode, globs and the SSE-C key. Pure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseBoolean,
  parseBucket,
  parseDate,
  parseGlobs,
  parseOverwrite,
  parseRegion,
  parseSseKey,
} from '../src/config/parse-values.js';
import { expectRejected, SECRET_KEY_32 } from './helpers/parse-inputs.js';

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
