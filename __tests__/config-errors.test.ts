// Errors of the input layer: InputError's one-line message, errorMessage, and every parser returning
// a value or an InputError, never anything else. Pure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorMessage } from '../src/base/error-message.js';
import { InputError } from '../src/config/errors.js';
import {
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
import { returnsOrInputError } from './helpers/parse-inputs.js';

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
