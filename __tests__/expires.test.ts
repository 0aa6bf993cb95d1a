// The `expires` input: a tidy grammar of seconds and d/h/m/s units, 1s..7d, refused in one line otherwise.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/config/errors.js';
import {
  EXPIRES_DEFAULT_SECONDS,
  EXPIRES_MAX_SECONDS,
  formatExpires,
  parseExpires,
} from '../src/config/expires.js';
import { INPUTS } from '../src/config/inputs.js';

function refusal(text: string): InputError {
  try {
    parseExpires(text);
  } catch (error: unknown) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error(`'${text}' was accepted`);
}

describe('parseExpires', () => {
  it.each([
    ['1', 1],
    ['600', 600],
    ['600s', 600],
    ['45s', 45],
    ['30m', 1800],
    ['90m', 5400],
    ['1h', 3600],
    ['2h30m', 9000],
    ['1h0m30s', 3630],
    ['1d12h', 129_600],
    ['7d', 604_800],
    ['168h', 604_800],
    ['604800', 604_800],
    [' 1h ', 3600],
    ['01h', 3600],
  ])('%s → %i s', (text, seconds) => {
    expect(parseExpires(text)).toBe(seconds);
  });

  it.each([
    // text, rule fragment, fix fragment
    ['', "must be seconds ('600')", "e.g. '1h'"],
    ['abc', 'units d, h, m, s', "e.g. '1h', '30m', '600' (seconds) or '2h30m'"],
    ['1.5h', 'units d, h, m, s', "write '1h30m'"],
    ['30m2h', 'in that order', "write '2h30m'"],
    ['1h1h', 'units d, h, m, s', "write '2h'"],
    ['2h 30m', 'units d, h, m, s', "write '2h30m'"],
    ['1H', 'units d, h, m, s', "write '1h'"],
    ['10M', 'units d, h, m, s', "write '10m'"],
    ['1h30', 'units d, h, m, s', "e.g. '1h'"],
    ['1w', 'units d, h, m, s', "e.g. '1h'"],
    ['500ms', 'units d, h, m, s', "e.g. '1h'"],
    ['-5', 'units d, h, m, s', "e.g. '1h'"],
    ['1e3', 'units d, h, m, s', "e.g. '1h'"],
    ['0', 'must be at least 1s', "e.g. '1h' (the default)"],
    ['0h', 'must be at least 1s', "e.g. '1h' (the default)"],
    ['7d1s', 'must be at most 7d (604800 seconds)', "e.g. '7d' (the longest)"],
    ['8d', 'must be at most 7d', "e.g. '7d'"],
    ['99999999999999999999999', 'must be at most 7d', "e.g. '7d'"],
    ['1.5d', 'units d, h, m, s', "write '1d12h'"],
  ])('refuses %j: names expires, the value, the rule and the fix', (text, rule, fix) => {
    const error = refusal(text);
    expect(error.input).toBe('expires');
    expect(error.message).toContain(`Input 'expires' = '${text.trim()}'`);
    expect(error.rule).toContain(rule);
    expect(error.fix).toContain(fix);
    expect(error.message).toMatch(/^[^\n]*\. Fix: [^\n]*\.$/);
  });

  it('suggests the canonical form of a fraction when it is whole seconds', () => {
    expect(refusal('1.5d').fix).toBe("write '1d12h'");
    expect(refusal('0.5m').fix).toBe("write '30s'");
    expect(refusal('0.25s').fix).toContain("e.g. '1h'");
  });

  it('reads back every canonical form it writes, for every valid number of seconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: EXPIRES_MAX_SECONDS }), (seconds) => {
        expect(parseExpires(formatExpires(seconds))).toBe(seconds);
        expect(parseExpires(String(seconds))).toBe(seconds);
      }),
      { seed: 0xe1, numRuns: 500 },
    );
  });

  it('answers any text with seconds in range or a one-line InputError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9dhms. ]{0,12}$/)), (text) => {
        try {
          const seconds = parseExpires(text);
          expect(Number.isSafeInteger(seconds)).toBe(true);
          expect(seconds).toBeGreaterThanOrEqual(1);
          expect(seconds).toBeLessThanOrEqual(EXPIRES_MAX_SECONDS);
        } catch (error: unknown) {
          expect(error).toBeInstanceOf(InputError);
          expect((error as Error).message).not.toMatch(/[\n\r]/);
        }
      }),
      { seed: 0xe2, numRuns: 1000 },
    );
  });

  it('defaults to the console’s one hour, which the input table states', () => {
    expect(EXPIRES_DEFAULT_SECONDS).toBe(parseExpires('1h'));
    expect(INPUTS.expires.description).toContain('`1h` (default)');
    expect(INPUTS.expires.description).toContain(`1s..${formatExpires(EXPIRES_MAX_SECONDS)}`);
  });
});

describe('formatExpires', () => {
  it.each([
    [1, '1s'],
    [60, '1m'],
    [3600, '1h'],
    [3630, '1h30s'],
    [9000, '2h30m'],
    [90_061, '1d1h1m1s'],
    [604_800, '7d'],
  ])('%i s → %s', (seconds, text) => {
    expect(formatExpires(seconds)).toBe(text);
  });
});
