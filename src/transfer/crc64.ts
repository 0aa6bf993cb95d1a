// CRC-64/XZ, which COS calls CRC64-ECMA182 and sends as `x-cos-hash-crc64ecma` (a decimal uint64):
// reflected polynomial 0xC96C5795D7870F42, init and xorout 0xFFFFFFFFFFFFFFFF; "123456789" gives
// 0x995DC9BBDF1939FA. Pure: no I/O. The byte loop runs in a small WebAssembly kernel
// (./crc64/wasm-kernel.ts); BigInt appears only at the API's edges. See docs/adr/0002-crc64.md.
import { POLY_HI, POLY_LO } from './crc64/tables.js';
import { advance } from './crc64/wasm-kernel.js';

const MAX_CRC = (1n << 64n) - 1n;

function checkCrc(value: bigint, what: string): void {
  if (typeof value !== 'bigint' || value < 0n || value > MAX_CRC) {
    throw new RangeError(`${what} must be a bigint in 0..2^64-1, got ${String(value)}`);
  }
}

function checkBytes(data: Uint8Array, what: string): void {
  // A string or number array would be coerced byte by byte by TypedArray#set: refuse it instead.
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(
      `${what} must be a Uint8Array (or Buffer), got ${Object.prototype.toString.call(data)}`,
    );
  }
}

/** The register (the inverted CRC) for a finished CRC value, as uint32 halves, low first. */
function registerOf(crc: bigint): Uint32Array {
  const inverted = crc ^ MAX_CRC;
  return Uint32Array.of(Number(inverted & 0xffffffffn), Number(inverted >> 32n));
}

/** The finished CRC value of a register. */
function crcOf(register: Uint32Array): bigint {
  const lo = ~(register[0] ?? 0) >>> 0;
  const hi = ~(register[1] ?? 0) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Incremental CRC-64/XZ. `digest()` does not reset: more `update`s continue the same stream. */
export class Crc64 {
  readonly #register = Uint32Array.of(0xffffffff, 0xffffffff);
  #length = 0;

  update(data: Uint8Array): this {
    checkBytes(data, 'Crc64.update: data');
    const length = this.#length + data.length;
    if (length > Number.MAX_SAFE_INTEGER) {
      throw new RangeError(`Crc64: more than ${Number.MAX_SAFE_INTEGER} bytes in one stream`);
    }
    advance(this.#register, data);
    this.#length = length;
    return this;
  }

  /** The CRC of every byte so far, as an unsigned 64-bit bigint. */
  digest(): bigint {
    return crcOf(this.#register);
  }

  /** Bytes seen so far. */
  get length(): number {
    return this.#length;
  }
}

/** One-shot CRC-64/XZ. `previous` is the CRC of the bytes before `data`, to continue a stream. */
export function crc64(data: Uint8Array, previous = 0n): bigint {
  checkBytes(data, 'crc64: data');
  checkCrc(previous, 'crc64: previous');
  const register = registerOf(previous);
  advance(register, data);
  return crcOf(register);
}

// --- combine ---------------------------------------------------------------------------------------
// zlib's crc32_combine (multmodp / x2nmodp) carried over to 64 bits. Polynomials are reflected: the
// top bit of a 64-bit value is the coefficient of x^0. Values are [low, high] uint32 pairs.

type Pair = readonly [lo: number, hi: number];

/** a(x) * b(x) mod P(x). */
function multModP(a: Pair, b: Pair): Pair {
  const [aLo, aHi] = a;
  let [bLo, bHi] = b;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 64; i++) {
    const bit = i < 32 ? (aHi >>> (31 - i)) & 1 : (aLo >>> (63 - i)) & 1;
    if (bit !== 0) {
      lo ^= bLo;
      hi ^= bHi;
    }
    // b = b * x mod P
    const carry = bLo & 1;
    bLo = (bLo >>> 1) | (bHi << 31);
    bHi >>>= 1;
    if (carry !== 0) {
      bLo ^= POLY_LO;
      bHi ^= POLY_HI;
    }
  }
  return [lo >>> 0, hi >>> 0];
}

/** X2N[k] = x^(2^k) mod P, for k = 0..63 (more than a safe-integer length ever needs). */
const X2N: Pair[] = [[0, 0x40000000]];
for (let k = 1; k < 64; k++) {
  const previous = X2N[k - 1] ?? [0, 0];
  X2N.push(multModP(previous, previous));
}

/** x^(n * 2^k) mod P, for a non-negative safe integer n. */
function x2nModP(n: number, k: number): Pair {
  let product: Pair = [0, 0x80000000]; // x^0
  let rest = n;
  let power = k;
  while (rest > 0) {
    if (rest % 2 === 1) product = multModP(X2N[power] ?? [0, 0], product);
    rest = Math.floor(rest / 2);
    power++;
  }
  return product;
}

/**
 * The CRC of A‖B from crc(A), crc(B) and the length of B in bytes, in O(log lengthB) without the
 * data: crc(A‖B) = crc(A) * x^(8 * lengthB) mod P xor crc(B). Lets parts fetched in parallel be
 * checked against the whole object's CRC.
 */
export function crc64Combine(crcA: bigint, crcB: bigint, lengthB: number): bigint {
  checkCrc(crcA, 'crc64Combine: crcA');
  checkCrc(crcB, 'crc64Combine: crcB');
  if (!Number.isSafeInteger(lengthB) || lengthB < 0) {
    throw new RangeError(`crc64Combine: lengthB must be a non-negative safe integer, got ${lengthB}`);
  }
  const a: Pair = [Number(crcA & 0xffffffffn), Number(crcA >> 32n)];
  const [lo, hi] = multModP(x2nModP(lengthB, 3), a);
  return ((BigInt(hi) << 32n) | BigInt(lo)) ^ crcB;
}

// --- text ------------------------------------------------------------------------------------------

/** Decimal, as COS sends `x-cos-hash-crc64ecma`. */
export function formatCrc64(crc: bigint): string {
  checkCrc(crc, 'formatCrc64: crc');
  return crc.toString(10);
}

/**
 * Parse `x-cos-hash-crc64ecma`: ASCII digits only (no sign, space, point or exponent) and at most
 * 2^64-1; anything else gives undefined. Leading zeros are digits, so they are accepted.
 */
export function parseCrc64(text: string): bigint | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  if (text.replace(/^0+/, '').length > 20) return undefined; // too long for 2^64-1; skip the BigInt
  const value = BigInt(text);
  return value <= MAX_CRC ? value : undefined;
}
