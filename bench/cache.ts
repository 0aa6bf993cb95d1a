// What `cache: true` saves: COS GET Object requests and wall time of a prefix mirror on a fresh
// runner (empty destination), without the cache and with it (miss, exact hit, partial hit), on the
// local stack the tests use: the COS emulator, `@actions/cache` itself, a small cache-service
// endpoint and Azurite, all on 127.0.0.1. Run from the repository root:
//
//   npm run bench:cache
//
// (= node --experimental-transform-types --import ./__tests__/helpers/ts-source.ts bench/cache.ts:
// the sources run as TypeScript, their `./x.js` imports mapped to `./x.ts`.)
//
// Environment (integers are parsed strictly; anything else is refused):
//   BENCH_RUNS        measured rounds, default 3 (medians reported)
//   BENCH_OBJECTS     small objects, default 500
//   BENCH_SIZE_KIB    bytes of each small object (random), default 64
//   BENCH_LARGE       large (multipart) objects, default 2
//   BENCH_LARGE_MIB   bytes of each large object (random), default 24
//   BENCH_CHANGED     objects changed between the hit and the partial hit, default 25
//
// Each round, on a fresh destination every time: (1) a plain mirror (no cache); (2) cache miss —
// mirror from COS, then save; (3) exact hit — restore, list, nothing fetched; then BENCH_CHANGED
// small objects get new content and (4) partial hit — restore the older entry, fetch what changed,
// save. Everything runs in this one process (the emulator too), so the times are comparable with
// each other, not with the other benchmarks. GET counts are the emulator's.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startCacheStack } from '../__tests__/helpers/cache-stack.js';
import { actionsCacheStore } from '../src/action/actions-cache.js';
import { parseOptions } from '../src/config/parse.js';
import { download } from '../src/core/download.js';
import { startEmulator } from '../src/emulator/index.js';
import { envInt, median } from './lib/harness.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const RUNS = envInt('BENCH_RUNS', 3, 1);
const OBJECTS = envInt('BENCH_OBJECTS', 500, 1);
const SIZE = envInt('BENCH_SIZE_KIB', 64, 1) * KiB;
const LARGE = envInt('BENCH_LARGE', 2, 0);
const LARGE_SIZE = envInt('BENCH_LARGE_MIB', 24, 1) * MiB;
const CHANGED = Math.min(envInt('BENCH_CHANGED', 25, 1), OBJECTS);
const SECRET_ID = 'AKIDcachebench0000000001';
const SECRET_KEY = 'cache-benchmark-secret-key';

const work = mkdtempSync(path.join(tmpdir(), 'cos-download-bench-cache-'));
const runnerTemp = path.join(work, 'runner-temp');
const workspace = path.join(work, 'workspace');
const destination = path.join(workspace, 'out');

const emulator = await startEmulator({ credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }] });
const stack = await startCacheStack(runnerTemp);
Object.assign(process.env, stack.env, { GITHUB_WORKSPACE: workspace });

// `@actions/cache` logs through `@actions/core` to stdout; keep the table readable.
const write = process.stdout.write.bind(process.stdout);
let quiet = false;
process.stdout.write = ((chunk: unknown, ...rest: unknown[]) =>
  quiet ? true : (write as (...a: unknown[]) => boolean)(chunk, ...rest)) as typeof process.stdout.write;

try {
  const keys: string[] = [];
  for (let i = 0; i < OBJECTS; i++) keys.push(`build/small/${String(i).padStart(5, '0')}.bin`);
  for (const key of keys) emulator.put(key, randomBytes(SIZE));
  for (let i = 0; i < LARGE; i++) emulator.put(`build/large/${i}.bin`, randomBytes(LARGE_SIZE));
  const total = OBJECTS * SIZE + LARGE * LARGE_SIZE;

  type Scenario = 'no cache' | 'cache miss' | 'cache hit' | 'cache partial hit';
  const samples = new Map<Scenario, Array<{ seconds: number; gets: number; bytes: number; hit: string }>>();
  const measure = async (scenario: Scenario, cache: boolean): Promise<void> => {
    rmSync(destination, { recursive: true, force: true });
    emulator.stats.reset();
    const options = parseOptions(
      {
        bucket: emulator.bucket,
        endpoint: emulator.url,
        'secret-id': SECRET_ID,
        'secret-key': SECRET_KEY,
        prefix: 'build',
        destination: 'out',
        cache: String(cache),
      },
      {
        cwd: workspace,
        env: {},
        isDirectory: (p) => statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false,
      },
    );
    const store = cache ? actionsCacheStore() : undefined;
    if (cache && store === undefined) throw new Error('@actions/cache does not see the local cache service');
    quiet = true;
    const started = performance.now();
    const result = await download(options, store === undefined ? {} : { cache: store }).finally(() => {
      quiet = false;
    });
    const seconds = (performance.now() - started) / 1000;
    if (result.kind !== 'prefix') throw new Error('expected a mirror');
    const list = samples.get(scenario) ?? [];
    list.push({
      seconds,
      gets: emulator.stats.count('get'),
      bytes: emulator.stats.bytesServed,
      hit: result.cache?.hit ?? '-',
    });
    samples.set(scenario, list);
  };

  console.log(
    `${OBJECTS} × ${SIZE / KiB} KiB + ${LARGE} × ${LARGE_SIZE / MiB} MiB (${(total / MiB).toFixed(0)} MiB), ` +
      `${CHANGED} changed before the partial hit, ${RUNS} round(s)`,
  );
  for (let round = 0; round < RUNS; round++) {
    stack.reset();
    await measure('no cache', false);
    await measure('cache miss', true);
    await measure('cache hit', true);
    for (const key of keys.slice(round * CHANGED, (round + 1) * CHANGED))
      emulator.put(key, randomBytes(SIZE));
    await measure('cache partial hit', true);
    process.stderr.write(`round ${round + 1}/${RUNS} done\n`);
  }

  const base = median((samples.get('no cache') ?? []).map((s) => s.seconds));
  console.log(
    '\n| run (fresh runner) | cache-hit | COS GET Object requests | MiB from COS | median wall s | vs no cache |',
  );
  console.log('|---|---|---:|---:|---:|---:|');
  for (const [scenario, list] of samples) {
    const seconds = median(list.map((s) => s.seconds));
    const gets = median(list.map((s) => s.gets));
    const mib = median(list.map((s) => s.bytes)) / MiB;
    console.log(
      `| ${scenario} | ${list[0]?.hit ?? '-'} | ${gets} | ${mib.toFixed(1)} | ${seconds.toFixed(2)} | ${(seconds / base).toFixed(2)}× |`,
    );
  }
} finally {
  await stack.close();
  await emulator.close();
  rmSync(work, { recursive: true, force: true });
}
