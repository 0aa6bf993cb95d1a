// CRC-64 throughput: our WebAssembly kernel against crc64-ecma182.js (the package Tencent's Node SDK
// tests with) and a pure-JavaScript slicing-by-16 (the rejected alternative, kept here so the numbers
// in docs/adr/0002-crc64.md can be reproduced). Run from the repository root:
//
//   npm run bench:crc64                (256 MiB, 7 repetitions; MB = 10^6 bytes)
//
// (= node --import ./__tests__/helpers/ts-source.ts bench/crc64.ts: the sources run as TypeScript.)
//
// Each pass feeds the same random buffer in chunks of one size, the way a download stream does; passes
// of every implementation and chunk size are interleaved, and the median of the repetitions is shown.
import { randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { makeTables } from '../src/transfer/crc64/tables.js';
import { Crc64, crc64Combine } from '../src/transfer/crc64.js';

const ecma182 = createRequire(import.meta.url)('crc64-ecma182.js') as {
  crc64(data: Buffer, previous?: string): string;
};

const TOTAL = 256 * 2 ** 20;
const REPETITIONS = 7;
const CHUNK_SIZES = [64 * 2 ** 10, 2 ** 20];

/** Pure-JS slicing-by-16, the register as two int32 halves: the best we found without WebAssembly. */
// Module-level table and state: as closure captures, V8 ran this loop a third slower.
const t = new Int32Array(makeTables(16).buffer); // entry i of table k: [2 * (256 * k + i)], low half first
const jsRegister = new Int32Array(2);

function jsUpdate(data: Uint8Array): void {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const end16 = data.length - (data.length % 16);
  let l = jsRegister[0] as number;
  let h = jsRegister[1] as number;
  let i = 0;
  for (; i < end16; i += 16) {
    const a = view.getInt32(i, true) ^ l;
    const b = view.getInt32(i + 4, true) ^ h;
    const c = view.getInt32(i + 8, true);
    const d = view.getInt32(i + 12, true);
    // x = 512 * table + 2 * byte; tables 15..0 for bytes 0..15 of the block
    let x = 7680 + ((a & 255) << 1);
    let nl = t[x] as number;
    let nh = t[x + 1] as number;
    x = 7168 + ((a >>> 7) & 510);
    nl ^= t[x] as number;
    nh ^= t[x + 1] as number;
    x = 6656 + ((a >>> 15) & 510);
    nl ^= t[x] as number;
    nh ^= t[x + 1] as number;
    x = 6144 + ((a >>> 23) & 510);
    nl ^= t[x] as number;
    nh ^= t[x + 1] as number;
    x = 5632 + ((b & 255) << 1);
    nl ^= t[x] as number;
    nh ^= t[x + 1] as number;
    x = 5120 + ((b >>> 7) & 510);
    nl ^= t[x] as number;
    nh ^= t[x + 1] as number;
    x = 4608 + ((b >>> 15) & 510);
    nl ^= t[x] as number;
    nh ^= t[x + 1] as number;
    x = 4096 + ((b >>> 23) & 510);
    nl ^= t[x] as number;
    nh ^= t[x + 1] as number;
    x = 3584 + ((c & 255) << 1);
    nl ^= t[x] as number;
    nh ^= t[x + 1] as number;
    x = 3072 + ((c >>> 7) & 510);
    nl ^= t[x] as number;
    nh ^= t[x + 1] as number;
    x = 2560 + ((c >>> 15) & 510);
    nl ^= t[x] as number;
    nh ^= t[x + 1] as number;
    x = 2048 + ((c >>> 23) & 510);
    nl ^= t[x] as number;
    nh ^= t[x + 1] as number;
    x = 1536 + ((d & 255) << 1);
    nl ^= t[x] as number;
    nh ^= t[x + 1] as number;
    x = 1024 + ((d >>> 7) & 510);
    nl ^= t[x] as number;
    nh ^= t[x + 1] as number;
    x = 512 + ((d >>> 15) & 510);
    nl ^= t[x] as number;
    nh ^= t[x + 1] as number;
    x = (d >>> 23) & 510;
    l = nl ^ (t[x] as number);
    h = nh ^ (t[x + 1] as number);
  }
  for (; i < data.length; i++) {
    const x = ((l ^ (data[i] as number)) & 255) << 1;
    l = (t[x] as number) ^ ((l >>> 8) | (h << 24));
    h = (t[x + 1] as number) ^ (h >>> 8);
  }
  jsRegister[0] = l;
  jsRegister[1] = h;
}

interface Contender {
  readonly name: string;
  /** Feed `data` in `chunk`-byte pieces; return the CRC as a decimal string ('' if not a CRC). */
  run(data: Buffer, chunk: number): string;
}

const contenders: Contender[] = [
  {
    name: 'ours (WASM slicing-by-16)',
    run(data, chunk) {
      const hash = new Crc64();
      for (let at = 0; at < data.length; at += chunk) hash.update(data.subarray(at, at + chunk));
      return hash.digest().toString();
    },
  },
  {
    name: 'crc64-ecma182.js',
    run(data, chunk) {
      let crc = '0';
      for (let at = 0; at < data.length; at += chunk) crc = ecma182.crc64(data.subarray(at, at + chunk), crc);
      return crc;
    },
  },
  {
    name: 'pure JS slicing-by-16 (rejected)',
    run(data, chunk) {
      jsRegister.fill(-1);
      for (let at = 0; at < data.length; at += chunk) jsUpdate(data.subarray(at, at + chunk));
      return (
        (BigInt(~(jsRegister[1] as number) >>> 0) << 32n) |
        BigInt(~(jsRegister[0] as number) >>> 0)
      ).toString();
    },
  },
  {
    name: 'copy only (64 KiB staging `set`)',
    run(data, chunk) {
      const staging = new Uint8Array(64 * 2 ** 10);
      for (let at = 0; at < data.length; at += chunk) {
        const piece = data.subarray(at, at + chunk);
        for (let from = 0; from < piece.length; from += staging.length) {
          staging.set(piece.subarray(from, from + staging.length));
        }
      }
      return '';
    },
  },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const data = Buffer.alloc(TOTAL);
for (let at = 0; at < TOTAL; at += 2 ** 24) randomFillSync(data, at, Math.min(2 ** 24, TOTAL - at));

// Warm up every path (JIT tiers, the package's heap) on a small prefix.
for (const contender of contenders)
  for (const chunk of CHUNK_SIZES) contender.run(data.subarray(0, 2 ** 24), chunk);

const samples = new Map<string, number[]>();
for (let repetition = 0; repetition < REPETITIONS; repetition++) {
  for (const chunk of CHUNK_SIZES) {
    const crcs = new Set<string>();
    // Rotate the order each repetition so no contender always runs first.
    for (let k = 0; k < contenders.length; k++) {
      const contender = contenders[(k + repetition) % contenders.length];
      if (contender === undefined) continue;
      const start = process.hrtime.bigint();
      const crc = contender.run(data, chunk);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (crc !== '') crcs.add(crc);
      const key = `${contender.name}|${chunk}`;
      samples.set(key, [...(samples.get(key) ?? []), TOTAL / 1e6 / seconds]);
    }
    if (crcs.size !== 1) throw new Error(`CRCs disagree for ${chunk}-byte chunks: ${[...crcs].join(', ')}`);
  }
}

const mbps = (name: string, chunk: number): number => median(samples.get(`${name}|${chunk}`) ?? []);
const label = (chunk: number): string =>
  chunk >= 2 ** 20 ? `${chunk / 2 ** 20} MiB` : `${chunk / 2 ** 10} KiB`;
const [ours, pkg] = contenders.map((contender) => contender.name);
if (ours === undefined || pkg === undefined) throw new Error('bench: contenders missing');

console.log(`CRC-64 throughput, node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}`);
console.log(
  `${TOTAL / 2 ** 20} MiB of random data a pass, median of ${REPETITIONS} interleaved passes, MB/s\n`,
);
console.log(`| implementation | ${CHUNK_SIZES.map((chunk) => `${label(chunk)} chunks`).join(' | ')} |`);
console.log(`|---|${CHUNK_SIZES.map(() => '---:').join('|')}|`);
for (const contender of contenders) {
  console.log(
    `| ${contender.name} | ${CHUNK_SIZES.map((chunk) => mbps(contender.name, chunk).toFixed(0)).join(' | ')} |`,
  );
}
// The ratio pairs the two passes of each repetition (adjacent in time, so they share the machine's
// mood at that moment) and takes the median of those ratios.
const ratio = (chunk: number): number => {
  const a = samples.get(`${ours}|${chunk}`) ?? [];
  const b = samples.get(`${pkg}|${chunk}`) ?? [];
  return median(a.map((value, i) => value / (b[i] ?? Number.NaN)));
};
console.log(
  `| **ours ÷ crc64-ecma182.js** | ${CHUNK_SIZES.map((chunk) => `**${ratio(chunk).toFixed(2)}×**`).join(' | ')} |`,
);

// crc64Combine for a 20 MiB part: O(log n) polynomial arithmetic, no data.
const PART = 20 * 2 ** 20;
const CALLS = 20_000;
const perCall: number[] = [];
let sink = 0n;
for (let repetition = 0; repetition < REPETITIONS + 1; repetition++) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) sink ^= crc64Combine(BigInt(i), 0x995dc9bbdf1939fan, PART);
  const micros = Number(process.hrtime.bigint() - start) / 1e3 / CALLS;
  if (repetition > 0) perCall.push(micros); // the first batch is warm-up
}
console.log(
  `\ncrc64Combine(crcA, crcB, 20 MiB): ${median(perCall).toFixed(2)} µs a call (median of ${REPETITIONS} batches of ${CALLS})`,
);
if (sink < 0n) throw new Error('unreachable: keeps the combine loop from being optimised away');
