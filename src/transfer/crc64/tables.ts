// CRC-64/XZ lookup tables, computed with 64-bit values held as two uint32 halves (no BigInt).
// Pure: no I/O.

/** Low and high halves of the reflected ECMA-182 polynomial 0xC96C5795D7870F42. */
export const POLY_LO = 0xd7870f42;
export const POLY_HI = 0xc96c5795;

/**
 * Slicing-by-N tables: `slices` tables of 256 entries, stored as uint32 pairs, low half first,
 * so entry `i` of table `k` is at `[2 * (k * 256 + i)]` (low) and `[2 * (k * 256 + i) + 1]` (high).
 * Table 0 is the classic byte-at-a-time table; table k advances table k-1 by one more zero byte:
 * `T[k][i] = T[0][T[k-1][i] & 0xff] ^ (T[k-1][i] >>> 8)`.
 */
export function makeTables(slices: number): Uint32Array {
  if (!Number.isInteger(slices) || slices < 1) {
    throw new RangeError(`makeTables: slices must be a positive integer, got ${slices}`);
  }
  const tables = new Uint32Array(slices * 256 * 2);
  for (let i = 0; i < 256; i++) {
    let lo = i;
    let hi = 0;
    for (let bit = 0; bit < 8; bit++) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | (hi << 31)) >>> 0;
      hi >>>= 1;
      if (carry !== 0) {
        lo = (lo ^ POLY_LO) >>> 0;
        hi = (hi ^ POLY_HI) >>> 0;
      }
    }
    tables[2 * i] = lo;
    tables[2 * i + 1] = hi;
  }
  for (let k = 1; k < slices; k++) {
    for (let i = 0; i < 256; i++) {
      const prev = 2 * ((k - 1) * 256 + i);
      const lo = tables[prev] ?? 0;
      const hi = tables[prev + 1] ?? 0;
      const t0 = 2 * (lo & 0xff);
      const here = 2 * (k * 256 + i);
      tables[here] = ((tables[t0] ?? 0) ^ ((lo >>> 8) | (hi << 24))) >>> 0;
      tables[here + 1] = ((tables[t0 + 1] ?? 0) ^ (hi >>> 8)) >>> 0;
    }
  }
  return tables;
}
