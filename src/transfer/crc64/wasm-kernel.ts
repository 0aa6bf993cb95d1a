// The CRC-64/XZ hot loop as a WebAssembly module, assembled here from opcodes at load time, so the
// source of the bytes is this file (no compiler, no committed binary). WASM has native i64, which
// JavaScript lacks outside BigInt; see docs/adr/0002-crc64.md for the measurements behind it.
//
// Memory layout (one fixed 128 KiB memory, never grown, so views on it stay valid):
//   [0, 32 KiB)        slicing-by-16 tables, i64 little-endian, table k at k * 2048
//   [32 KiB, +8)       the CRC register (the running state; the CRC is its complement), i64,
//                      read and written by `update`
//   [64 KiB, 128 KiB)  staging area: the caller copies input here, at most STAGING_SIZE bytes a call
// The kernel exports `memory` and `update(pointer: i32, length: i32)`.
import { makeTables } from './tables.js';

const SLICES = 16;
const TABLE_BYTES = SLICES * 256 * 8;
const STATE_OFFSET = 32 * 1024;
const STAGING_OFFSET = 64 * 1024;
const STAGING_SIZE = 64 * 1024;
const PAGES = 2;

// --- a minimal assembler -------------------------------------------------------------------------

const I32 = 0x7f;
const I64 = 0x7e;
const op = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i64Load: 0x29,
  i32Load8U: 0x2d,
  i64Store: 0x37,
  i32Const: 0x41,
  i64Const: 0x42,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32And: 0x71,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  i64Xor: 0x85,
  i64ShrU: 0x88,
  i32WrapI64: 0xa7,
} as const;
const VOID_BLOCK = 0x40;

function uleb(value: number): number[] {
  const out: number[] = [];
  let rest = value >>> 0;
  do {
    const byte = rest & 0x7f;
    rest >>>= 7;
    out.push(rest === 0 ? byte : byte | 0x80);
  } while (rest !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vector(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb(bytes.length), ...bytes];
}

/** `memarg`: alignment as log2, then the constant offset added to the address operand. */
function mem(opcode: number, alignLog2: number, offset: number): number[] {
  return [opcode, ...uleb(alignLog2), ...uleb(offset)];
}

// --- the kernel ----------------------------------------------------------------------------------

// Locals: 0 pointer, 1 length (params); then the ones declared below.
const P = 0;
const N = 1;
const CRC = 2; // i64
const A = 3; // i64: crc ^ first 8 bytes of the block
const END16 = 4; // i32
const END = 5; // i32
const W0 = 6; // i32 words of the current 16-byte block (w0, w1 already xor-ed with the crc)
const W1 = 7;
const W2 = 8;
const W3 = 9;

/** Push T[table][byte `byteIndex` of the i32 in `local`] (an i64). */
function lookup(table: number, local: number, byteIndex: number): number[] {
  // The byte times 8 (an entry's size), without a separate multiply: shift it into bits 3..10.
  const shift =
    byteIndex === 0
      ? [op.i32Const, ...sleb(3), op.i32Shl]
      : [op.i32Const, ...sleb(8 * byteIndex - 3), op.i32ShrU];
  return [
    op.localGet,
    local,
    ...shift,
    op.i32Const,
    ...sleb(0x7f8),
    op.i32And,
    ...mem(op.i64Load, 3, table * 2048),
  ];
}

function kernelBody(): number[] {
  const code: number[] = [];
  const emit = (...bytes: number[]) => {
    code.push(...bytes);
  };
  // crc = load(STATE); end = p + n; end16 = p + (n & ~15)
  emit(op.i32Const, ...sleb(0), ...mem(op.i64Load, 3, STATE_OFFSET), op.localSet, CRC);
  emit(op.localGet, P, op.localGet, N, op.i32Add, op.localSet, END);
  emit(op.localGet, P, op.localGet, N, op.i32Const, ...sleb(-16), op.i32And, op.i32Add, op.localSet, END16);

  // Slicing-by-16, 16 bytes an iteration: the first 8 are xor-ed with the register, then byte j of the
  // block is looked up in table 15 - j (which carries it past the 15 - j bytes after it) and all 16
  // results are xor-ed together to give the next register.
  emit(op.block, VOID_BLOCK, op.loop, VOID_BLOCK);
  emit(op.localGet, P, op.localGet, END16, op.i32GeU, op.brIf, 1);
  emit(op.localGet, CRC, op.localGet, P, ...mem(op.i64Load, 3, 0), op.i64Xor, op.localTee, A);
  emit(op.i32WrapI64, op.localSet, W0);
  emit(op.localGet, A, op.i64Const, ...sleb(32), op.i64ShrU, op.i32WrapI64, op.localSet, W1);
  emit(op.localGet, P, ...mem(op.i32Load, 2, 8), op.localSet, W2);
  emit(op.localGet, P, ...mem(op.i32Load, 2, 12), op.localSet, W3);
  // Xor the 16 lookups as two balanced trees, the register-independent half (bytes 8..15) first:
  // a linear chain would put 16 dependent xors on the register's critical path.
  const words = [W0, W1, W2, W3];
  const tree = (from: number, count: number): void => {
    if (count === 1) {
      const word = words[from >> 2];
      if (word === undefined) throw new Error('crc64: no word for byte');
      emit(...lookup(15 - from, word, from & 3));
      return;
    }
    tree(from, count / 2);
    tree(from + count / 2, count / 2);
    emit(op.i64Xor);
  };
  tree(8, 8);
  tree(0, 8);
  emit(op.i64Xor, op.localSet, CRC);
  emit(op.localGet, P, op.i32Const, ...sleb(16), op.i32Add, op.localSet, P);
  emit(op.br, 0, op.end, op.end);

  // The last 0..15 bytes one at a time: crc = T0[(crc ^ byte) & 0xff] ^ (crc >> 8).
  emit(op.block, VOID_BLOCK, op.loop, VOID_BLOCK);
  emit(op.localGet, P, op.localGet, END, op.i32GeU, op.brIf, 1);
  emit(op.localGet, CRC, op.i32WrapI64, op.localGet, P, ...mem(op.i32Load8U, 0, 0), op.i32Xor);
  emit(op.i32Const, ...sleb(0xff), op.i32And, op.i32Const, ...sleb(3), op.i32Shl, ...mem(op.i64Load, 3, 0));
  emit(op.localGet, CRC, op.i64Const, ...sleb(8), op.i64ShrU, op.i64Xor, op.localSet, CRC);
  emit(op.localGet, P, op.i32Const, ...sleb(1), op.i32Add, op.localSet, P);
  emit(op.br, 0, op.end, op.end);

  emit(op.i32Const, ...sleb(0), op.localGet, CRC, ...mem(op.i64Store, 3, STATE_OFFSET));
  emit(op.end);
  const locals = vector([
    [2, I64],
    [6, I32],
  ]);
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

/** The module's bytes. */
export function assembleKernel(): Uint8Array {
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector([[0x60, ...vector([[I32], [I32]]), ...vector([])]])),
    ...section(3, vector([[0]])),
    ...section(5, vector([[0x01, ...uleb(PAGES), ...uleb(PAGES)]])),
    ...section(
      7,
      vector([
        [...name('memory'), 0x02, 0],
        [...name('update'), 0x00, 0],
      ]),
    ),
    ...section(10, vector([kernelBody()])),
  ];
  return Uint8Array.from(bytes);
}

/**
 * Advance a CRC register over `data` (any length, any byte offset). `register` holds the register
 * (the inverted CRC) as two uint32 halves, low first; it is read and then overwritten.
 */
export type Advance = (register: Uint32Array, data: Uint8Array) => void;

/** The slice of the WebAssembly JS API used here (the project's `lib` has no DOM types). */
interface WebAssemblyApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

interface KernelExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  readonly update: (pointer: number, length: number) => void;
}

/** The compiled kernel and its tables, made once: what an instance (here or in a worker) starts from. */
export interface KernelParts {
  readonly module: object;
  readonly tables: Uint32Array;
  readonly stateOffset: number;
  readonly stagingOffset: number;
  readonly stagingSize: number;
}

function compile(): KernelParts {
  const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: WebAssemblyApi };
  const tables = makeTables(SLICES);
  if (tables.byteLength !== TABLE_BYTES) throw new Error('crc64: table size does not match the kernel');
  return {
    module: new wasm.Module(assembleKernel()),
    tables,
    stateOffset: STATE_OFFSET,
    stagingOffset: STAGING_OFFSET,
    stagingSize: STAGING_SIZE,
  };
}

/** The kernel compiled once per process (a few ms), for this thread and the CRC worker. */
export const kernelParts: KernelParts = compile();

function instantiate(parts: KernelParts): Advance {
  const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: WebAssemblyApi };
  const instance = new wasm.Instance(parts.module, {});
  const { memory, update } = instance.exports as KernelExports;
  const heap = new Uint8Array(memory.buffer);
  const view = new DataView(memory.buffer);
  const { tables } = parts;
  for (let i = 0; i < tables.length; i++) view.setUint32(4 * i, tables[i] ?? 0, true);
  return (register, data) => {
    view.setUint32(STATE_OFFSET, register[0] ?? 0, true);
    view.setUint32(STATE_OFFSET + 4, register[1] ?? 0, true);
    const total = data.length;
    // Copy through the staging area a slice at a time; the slice is still in cache when the kernel reads it.
    for (let offset = 0; offset < total; offset += STAGING_SIZE) {
      const end = Math.min(offset + STAGING_SIZE, total);
      heap.set(offset === 0 && end === total ? data : data.subarray(offset, end), STAGING_OFFSET);
      update(STAGING_OFFSET, end - offset);
    }
    register[0] = view.getUint32(STATE_OFFSET, true);
    register[1] = view.getUint32(STATE_OFFSET + 4, true);
  };
}

/** The WebAssembly slicing-by-16 kernel, instantiated once per process, synchronously (a few ms). */
export const advance: Advance = instantiate(kernelParts);
