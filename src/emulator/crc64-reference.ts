// CRC-64/XZ (a.k.a. CRC-64/ECMA-182 as COS calls it in `x-cos-hash-crc64ecma`), written to be
// obviously correct rather than fast: a byte-wise table over two unsigned 32-bit halves, no
// BigInt. It is the emulator's own oracle, independent of the transfer engine's implementation.
//
// Parameters: reflected polynomial 0xC96C5795D7870F42, init 0xFFFFFFFFFFFFFFFF, xorout
// 0xFFFFFFFFFFFFFFFF. Check value for ASCII "123456789": 0x995DC9BBDF1939FA.

/** A 64-bit CRC as two unsigned 32-bit halves. */
export interface Crc64Value {
  readonly hi: number;
  readonly lo: number;
}

const POLY_HI = 0xc96c5795;
const POLY_LO = 0xd7870f42;

const TABLE_HI = new Uint32Array(256);
const TABLE_LO = new Uint32Array(256);
for (let n = 0; n < 256; n += 1) {
  let hi = 0;
  let lo = n;
  for (let bit = 0; bit < 8; bit += 1) {
    const carry = lo & 1;
    // 64-bit logical shift right by one across the two halves.
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (carry === 1) {
      hi = (hi ^ POLY_HI) >>> 0;
      lo = (lo ^ POLY_LO) >>> 0;
    }
  }
  TABLE_HI[n] = hi;
  TABLE_LO[n] = lo;
}

/** CRC of the empty input (and the starting point for `crc64Reference(bytes, previous)`). */
export const CRC64_EMPTY: Crc64Value = { hi: 0, lo: 0 };

/**
 * CRC-64/XZ of `bytes`. Pass the CRC of the preceding bytes as `previous` to continue a
 * running CRC: `crc64Reference(b, crc64Reference(a))` equals the CRC of `a` followed by `b`.
 */
export function crc64Reference(bytes: Uint8Array, previous: Crc64Value = CRC64_EMPTY): Crc64Value {
  let hi = ~previous.hi >>> 0;
  let lo = ~previous.lo >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    const index = (lo ^ (bytes[i] as number)) & 0xff;
    // crc = (crc >>> 8) ^ table[index], on the two halves.
    lo = (((lo >>> 8) | ((hi & 0xff) << 24)) ^ (TABLE_LO[index] ?? 0)) >>> 0;
    hi = ((hi >>> 8) ^ (TABLE_HI[index] ?? 0)) >>> 0;
  }
  return { hi: ~hi >>> 0, lo: ~lo >>> 0 };
}

/** The unsigned decimal form COS sends in `x-cos-hash-crc64ecma`. */
export function crc64ToDecimal(value: Crc64Value): string {
  // Long division by 10 over four 16-bit limbs, most significant first; every step stays far
  // below 2^53, so plain numbers are exact.
  const limbs = [value.hi >>> 16, value.hi & 0xffff, value.lo >>> 16, value.lo & 0xffff];
  const digits: number[] = [];
  while (limbs.some((limb) => limb !== 0)) {
    let remainder = 0;
    for (let i = 0; i < limbs.length; i += 1) {
      const current = remainder * 0x10000 + (limbs[i] ?? 0);
      limbs[i] = Math.floor(current / 10);
      remainder = current % 10;
    }
    digits.push(remainder);
  }
  return digits.length === 0 ? '0' : digits.reverse().join('');
}

/** Sixteen lowercase hex digits. */
export function crc64ToHex(value: Crc64Value): string {
  return value.hi.toString(16).padStart(8, '0') + value.lo.toString(16).padStart(8, '0');
}

/** CRC-64/XZ of `bytes` as the unsigned decimal string COS uses. */
export function crc64ReferenceDecimal(bytes: Uint8Array): string {
  return crc64ToDecimal(crc64Reference(bytes));
}
