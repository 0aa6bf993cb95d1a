// The COS emulator straight from src/ (bench/download.ts with BENCH_EMULATOR=src), so a change to
// src/emulator can be measured without rebuilding dist/. Arguments are those of `cos-emulator`:
//
//   node --experimental-transform-types bench/lib/emulator.ts --root DIR --port 0 --public-read
//
// (The emulator's sources use parameter properties, which plain type stripping refuses.) Stops on
// SIGINT/SIGTERM like `cos-emulator`, and also when stdin closes, so it cannot outlive the benchmark.
import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

// Map the sources' `./x.js` imports to `./x.ts` (as bench/crc64.ts does).
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
      const url = new URL(`${specifier.slice(0, -3)}.ts`, context.parentURL);
      if (existsSync(fileURLToPath(url))) return nextResolve(url.href, context);
    }
    return nextResolve(specifier, context);
  },
});

const { main } = await import('../../src/emulator/cli.js');
const parentGone = new AbortController();
process.stdin.on('end', () => parentGone.abort()).on('error', () => parentGone.abort());
process.stdin.resume();
process.exitCode = await main(process.argv.slice(2), { signal: parentGone.signal });
process.stdin.destroy();
