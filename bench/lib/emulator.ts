// The COS emulator straight from src/ (bench/download.ts with BENCH_EMULATOR=src), so a change to
// src/emulator can be measured without rebuilding dist/. Arguments are those of `cos-emulator`:
//
//   node --experimental-transform-types --import ./__tests__/helpers/ts-source.ts \
//     bench/lib/emulator.ts --root DIR --port 0 --public-read
//
// (The emulator's sources use parameter properties, which plain type stripping refuses.) Stops on
// SIGINT/SIGTERM like `cos-emulator`, and also when stdin closes, so it cannot outlive the benchmark.
import { main } from '../../src/emulator/cli.js';

const parentGone = new AbortController();
process.stdin.on('end', () => parentGone.abort()).on('error', () => parentGone.abort());
process.stdin.resume();
process.exitCode = await main(process.argv.slice(2), { signal: parentGone.signal });
process.stdin.destroy();
