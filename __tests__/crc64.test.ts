import { randomBytes } from 'node:crypto';
import { crc64 as ecmaCrc64 } from 'crc64-ecma182.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeTables } from '../src/transfer/crc64/tables.js';
import { Crc64, crc64, crc64Combine, formatCrc64, parseCrc64 } from '../src/transfer/crc64.js';

const MAX = (1n << 64n) - 1n;
const POLY = 0xc96c5795d7870f42n;
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

/** CRC-64/XZ one bit at a time, straight from the definition. Slow; for checking only. */
function referenceCrc64(data: Uint8Array, previous = 0n): bigint {
  let register = previous ^ MAX;
  for (const byte of data) {
    register ^= BigInt(byte);
    for (let bit = 0; bit < 8; bit++) register = register & 1n ? (register >> 1n) ^ POLY : register >> 1n;
  }
  return register ^ MAX;
}

/** The npm package Tencent's SDK tests with: Buffer in, decimal string out. */
function packageCrc64(data: Uint8Array, previous = 0n): bigint {
  return BigInt(ecmaCrc64(Buffer.from(data.buffer, data.byteOffset, data.byteLength), previous.toString()));
}

/** `length` random bytes starting `offset` bytes into a larger buffer (so byteOffset is not 0). */
function randomView(length: number, offset: number): Uint8Array {
  return new Uint8Array(randomBytes(offset + length + 5).buffer).subarray(offset, offset + length);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

// Lengths spread over all of 0..4100 (fast-check's default size would keep arrays to a few bytes).
const bytes = fc
  .nat({ max: 4100 })
  .chain((length) => fc.uint8Array({ minLength: length, maxLength: length }));
const bytesWithOffset = fc.record({ bytes, offset: fc.nat({ max: 15 }) }).map(({ bytes, offset }) => {
  const backing = new Uint8Array(offset + bytes.length + 3).fill(0xa5);
  backing.set(bytes, offset);
  return backing.subarray(offset, offset + bytes.length);
});

describe('crc64: known values', () => {
  it.each([
    ['the CRC-64/XZ check value ("123456789")', ascii('123456789'), 0x995dc9bbdf1939fan],
    ['empty input', new Uint8Array(0), 0n],
    // COS API docs, PUT Object example 1 (intl.cloud.tencent.com/document/product/436/7749): a 16-byte
    // body "[Object Content]" (Content-MD5 7o3pGNBWQBRbGPcPTDqmAg==) answered with this header value.
    ['the COS PUT Object example body', ascii('[Object Content]'), 16749565679157681890n],
    ['one zero byte', new Uint8Array(1), referenceCrc64(new Uint8Array(1))],
  ])('%s', (_name, data, expected) => {
    expect(crc64(data)).toBe(expected);
    expect(new Crc64().update(data).digest()).toBe(expected);
    expect(referenceCrc64(data)).toBe(expected);
  });

  it('table 0 starts with the published CRC-64/XZ entries', () => {
    const tables = makeTables(1);
    // 0xB32E4CBE03A75F6F, 0xF4843657A840A05B: entries 1 and 2 of the published reflected ECMA-182 byte table.
    expect([...tables.subarray(2, 6)]).toEqual([0x03a75f6f, 0xb32e4cbe, 0xa840a05b, 0xf4843657]);
  });
});

describe('crc64: agreement with the bit-by-bit reference and crc64-ecma182.js', () => {
  it('every length 0..300 at every offset 0..7', () => {
    for (let length = 0; length <= 300; length++) {
      for (let offset = 0; offset < 8; offset++) {
        const data = randomView(length, offset);
        expect(crc64(data), `length ${length} offset ${offset}`).toBe(referenceCrc64(data));
      }
    }
  });

  it('random buffers of 0..4100 bytes at random offsets', () => {
    fc.assert(
      fc.property(bytesWithOffset, (data) => {
        const expected = referenceCrc64(data);
        expect(crc64(data)).toBe(expected);
        expect(packageCrc64(data)).toBe(expected);
      }),
      { numRuns: 150 },
    );
  });

  it.each([
    65535,
    65536,
    65537,
    65536 + 15,
    65536 + 16,
    2 * 65536 - 1,
    3 * 65536 + 7,
    1 << 20,
    (4 << 20) + 3,
  ])('%i bytes, across the 64 KiB staging boundary, at offsets 0 and 3', (length) => {
    for (const offset of [0, 3]) {
      const data = randomView(length, offset);
      expect(crc64(data)).toBe(packageCrc64(data));
    }
  });

  it('continues from `previous` like the package does', () => {
    fc.assert(
      fc.property(bytesWithOffset, fc.bigInt({ min: 0n, max: MAX }), (data, previous) => {
        expect(crc64(data, previous)).toBe(referenceCrc64(data, previous));
        expect(crc64(data, previous)).toBe(packageCrc64(data, previous));
      }),
      { numRuns: 100 },
    );
  });
});

describe('Crc64: incremental', () => {
  it('updates over random split points equal the one-shot CRC', () => {
    fc.assert(
      fc.property(bytesWithOffset, fc.array(fc.nat({ max: 4100 }), { maxLength: 12 }), (data, cuts) => {
        const points = [0, ...cuts.map((cut) => cut % (data.length + 1)).sort((a, b) => a - b), data.length];
        const hash = new Crc64();
        let chained = 0n;
        for (let i = 1; i < points.length; i++) {
          const piece = data.subarray(points[i - 1], points[i]);
          expect(hash.update(piece)).toBe(hash);
          chained = crc64(piece, chained);
        }
        expect(hash.digest()).toBe(crc64(data));
        expect(chained).toBe(crc64(data));
        expect(hash.length).toBe(data.length);
      }),
      { numRuns: 200 },
    );
  });

  it('starts at the empty CRC, and digest() does not reset the stream', () => {
    const hash = new Crc64();
    expect(hash.digest()).toBe(0n);
    expect(hash.length).toBe(0);
    hash.update(ascii('12345'));
    expect(hash.digest()).toBe(crc64(ascii('12345')));
    hash.update(ascii('6789'));
    expect(hash.digest()).toBe(0x995dc9bbdf1939fan);
    expect(hash.length).toBe(9);
  });

  it('keeps instances independent when their updates interleave', () => {
    const a = new Crc64();
    const b = new Crc64();
    const x = randomView(70_000, 1);
    const y = randomView(5_000, 2);
    a.update(x.subarray(0, 100));
    b.update(y.subarray(0, 3000));
    a.update(x.subarray(100));
    b.update(y.subarray(3000));
    expect([a.digest(), b.digest()]).toEqual([crc64(x), crc64(y)]);
  });

  it('refuses input that is not bytes instead of coercing it', () => {
    const text = '123456789' as unknown as Uint8Array;
    expect(() => crc64(text)).toThrow(TypeError);
    expect(() => new Crc64().update([1, 2, 3] as unknown as Uint8Array)).toThrow(/must be a Uint8Array/);
  });

  it('rejects a `previous` outside 0..2^64-1', () => {
    expect(() => crc64(new Uint8Array(1), -1n)).toThrow(RangeError);
    expect(() => crc64(new Uint8Array(1), MAX + 1n)).toThrow(/previous must be a bigint in 0\.\.2\^64-1/);
  });
});

describe('crc64Combine', () => {
  it('crc(A‖B) from crc(A), crc(B) and len(B), empty parts included', () => {
    const part = fc.oneof(fc.constant(new Uint8Array(0)), bytesWithOffset);
    fc.assert(
      fc.property(part, part, (a, b) => {
        expect(crc64Combine(crc64(a), crc64(b), b.length)).toBe(crc64(concat(a, b)));
      }),
      { numRuns: 300 },
    );
  });

  it('with an empty B returns crc(A) unchanged, and with an empty A returns crc(B)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX }), fc.nat({ max: 1 << 30 }), (crc, length) => {
        expect(crc64Combine(crc, 0n, 0)).toBe(crc);
        // crc(empty) = 0, and prefixing nothing changes nothing, whatever B's length.
        expect(crc64Combine(0n, crc, length)).toBe(crc);
      }),
    );
  });

  it('joins parts of a few MiB the way the bytes do', () => {
    const a = randomView(3 << 20, 1);
    const b = randomView((5 << 20) + 11, 2);
    expect(crc64Combine(crc64(a), crc64(b), b.length)).toBe(crc64(concat(a, b)));
  });

  it('agrees over several GiB: one combine by doubling equals 1 MiB combines chained one by one', () => {
    const block = randomView(1 << 20, 0);
    const blockCrc = crc64(block);
    const head = randomView(1000, 0);
    const blocks = 4100; // 4100 MiB: past 2^32 bytes
    let chained = crc64(head);
    for (let i = 0; i < blocks; i++) chained = crc64Combine(chained, blockCrc, block.length);
    // crc of the block repeated `blocks` times, by binary doubling of combines
    let repeatedCrc = 0n;
    let repeatedLength = 0;
    let powerCrc = blockCrc;
    let powerLength = block.length;
    for (let rest = blocks; rest > 0; rest >>= 1) {
      if (rest & 1) {
        repeatedCrc = crc64Combine(repeatedCrc, powerCrc, powerLength);
        repeatedLength += powerLength;
      }
      powerCrc = crc64Combine(powerCrc, powerCrc, powerLength);
      powerLength *= 2;
    }
    expect(repeatedLength).toBe(blocks * 2 ** 20);
    expect(crc64Combine(crc64(head), repeatedCrc, repeatedLength)).toBe(chained);
  });

  it('accepts any safe-integer length and rejects the rest', () => {
    expect(typeof crc64Combine(1n, 2n, Number.MAX_SAFE_INTEGER)).toBe('bigint');
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => crc64Combine(1n, 2n, bad), String(bad)).toThrow(RangeError);
    }
    expect(() => crc64Combine(-1n, 2n, 1)).toThrow(/crcA/);
    expect(() => crc64Combine(1n, MAX + 1n, 1)).toThrow(/crcB/);
  });
});

describe('formatCrc64 / parseCrc64', () => {
  it('round-trips every 64-bit value', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX }), (crc) => {
        const text = formatCrc64(crc);
        expect(text).toMatch(/^(0|[1-9][0-9]*)$/);
        expect(parseCrc64(text)).toBe(crc);
      }),
    );
  });

  it.each([
    ['0', 0n],
    ['16749565679157681890', 16749565679157681890n],
    ['18446744073709551615', MAX],
    ['007', 7n],
  ])('parses %j', (text, expected) => {
    expect(parseCrc64(text)).toBe(expected);
  });

  it.each([
    '',
    '-1',
    '+1',
    '18446744073709551616',
    '99999999999999999999999',
    ' 1',
    '1 ',
    '1\n',
    '1.0',
    '1e3',
    '0x10',
    '1_000',
    '١٢٣',
  ])('rejects %j', (text) => {
    expect(parseCrc64(text)).toBeUndefined();
  });

  it('formats decimal and refuses values outside 0..2^64-1', () => {
    expect(formatCrc64(0x995dc9bbdf1939fan)).toBe('11051210869376104954');
    expect(() => formatCrc64(-1n)).toThrow(RangeError);
    expect(() => formatCrc64(MAX + 1n)).toThrow(RangeError);
  });
});
