import { describe, expect, it } from 'vitest';
import { formatRange, isMultipart, planParts, rangeWindow } from '../src/transfer/plan.js';

const P = 1024;

describe('planParts', () => {
  it.each([
    [0, []],
    [1, [[0, 0]]],
    [P - 1, [[0, P - 2]]],
    [P, [[0, P - 1]]],
    [
      P + 1,
      [
        [0, P - 1],
        [P, P],
      ],
    ],
    [
      2 * P - 1,
      [
        [0, P - 1],
        [P, 2 * P - 2],
      ],
    ],
    [
      2 * P,
      [
        [0, P - 1],
        [P, 2 * P - 1],
      ],
    ],
    [
      2 * P + 1,
      [
        [0, P - 1],
        [P, 2 * P - 1],
        [2 * P, 2 * P],
      ],
    ],
  ])('size %i → %j', (size, expected) => {
    const parts = planParts({ first: 0, length: size }, P);
    expect(parts.map((p) => [p.first, p.last])).toEqual(expected);
    expect(parts.map((p) => p.index)).toEqual(expected.map((_, i) => i));
    expect(parts.reduce((sum, p) => sum + p.last - p.first + 1, 0)).toBe(size);
  });

  it('offsets parts by the window start', () => {
    expect(planParts({ first: 100, length: P + 1 }, P)).toEqual([
      { index: 0, first: 100, last: 100 + P - 1 },
      { index: 1, first: 100 + P, last: 100 + P },
    ]);
  });

  it('refuses a part size that is not a positive integer', () => {
    expect(() => planParts({ first: 0, length: 10 }, 0)).toThrow(RangeError);
    expect(() => planParts({ first: 0, length: 10 }, 1.5)).toThrow(RangeError);
  });
});

describe('isMultipart', () => {
  it.each([
    [0, false],
    [P - 1, false],
    [P, false],
    [P + 1, true],
  ])('size %i → %s', (size, expected) => {
    expect(isMultipart(size, P)).toBe(expected);
  });
});

describe('rangeWindow', () => {
  it.each([
    [undefined, 10, { first: 0, length: 10 }],
    [undefined, 0, { first: 0, length: 0 }],
    [{ kind: 'closed', first: 2, last: 5 } as const, 10, { first: 2, length: 4 }],
    [{ kind: 'closed', first: 2, last: 50 } as const, 10, { first: 2, length: 8 }],
    [{ kind: 'closed', first: 10, last: 12 } as const, 10, undefined],
    [{ kind: 'from', first: 9 } as const, 10, { first: 9, length: 1 }],
    [{ kind: 'from', first: 10 } as const, 10, undefined],
    [{ kind: 'suffix', length: 3 } as const, 10, { first: 7, length: 3 }],
    [{ kind: 'suffix', length: 30 } as const, 10, { first: 0, length: 10 }],
    [{ kind: 'suffix', length: 3 } as const, 0, undefined],
  ])('%j of %i bytes → %j', (range, size, expected) => {
    expect(rangeWindow(range, size)).toEqual(expected);
  });

  it('formats ranges as HTTP does', () => {
    expect(formatRange({ kind: 'closed', first: 0, last: 9 })).toBe('bytes=0-9');
    expect(formatRange({ kind: 'from', first: 7 })).toBe('bytes=7-');
    expect(formatRange({ kind: 'suffix', length: 5 })).toBe('bytes=-5');
  });
});
