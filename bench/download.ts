// Whole-object download speed and memory: cos-download (the bundled CLI in dist/, CRC on, its
// defaults: 20 MiB parts × 8) against Tencent's official Node SDK (cos-nodejs-sdk-v5 `downloadFile`,
// with its defaults and with 20 MiB chunks × 5), a single `curl` stream, and the undici floor
// (bench/lib/undici-floor.mjs: the same parts with nothing checked or flushed), all reading one random
// object from the project's COS emulator on 127.0.0.1. Run from the repository root:
//
//   npx node bench/download.ts        (1 GiB object, 5 rounds; MiB = 2^20 bytes)
//
// Environment (integers are parsed strictly; anything else is refused):
//   BENCH_SIZE_MIB   object size, default 1024
//   BENCH_RUNS       measured rounds, default 5 (median reported)
//   BENCH_WARMUP     unmeasured rounds first, default 1
//   BENCH_FLAT_MIB   a second, smaller object cos-download also fetches BENCH_RUNS times, to show its
//                    peak RSS does not grow with the object; default 256, 0 = skip
//   BENCH_TMP        parent folder of the temp folder (object files and downloads), default os.tmpdir()
//   BENCH_EMULATOR   `dist` (default: `node dist/cli/index.js emulator`) or `src` (bench/lib/emulator.ts,
//                    the emulator's current sources, to measure an emulator change without a build)
//
// Every tool runs as its own process under `/usr/bin/time -f '%e %M'` (peak RSS = %M); wall time is
// measured here around the process. The emulator runs in another process (the client and server
// must not share an event loop), public-read with credentials: curl reads anonymously, cos-download
// and the SDK (which cannot send unsigned requests) sign. Each round runs every tool once, in an
// order rotated by round, so machine noise hits all of them; ratios are medians of per-round ratios.
// After each run the output's size and 8 random 64 KiB windows are compared with the source file,
// `sync` is timed (the page-cache flush the tool left behind; cos-download fsyncs inside its own
// time, curl and the SDK do not) and the output folder is emptied.
import { spawn, spawnSync } from 'node:child_process';
import { randomFillSync, randomInt } from 'node:crypto';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type * as Harness from './lib/harness.js';

// Node strips types but does not map `./x.js` imports to `./x.ts`, and tsconfig.json refuses `.ts` ones.
const { benchFolder, cleanUp, envInt, killGroup, median, run, track }: typeof Harness = await import(
  new URL('./lib/harness.ts', import.meta.url).href
);

const MiB = 2 ** 20;
const RUN_LIMIT_MS = 10 * 60_000;
const BUCKET = 'benchbucket-1250000000';
const REGION = 'ap-guangzhou';
const SECRET_ID = 'AKIDbenchmark0000000001';
const SECRET_KEY = 'benchmark-secret-key';

const SIZE_MIB = envInt('BENCH_SIZE_MIB', 1024, 1);
const RUNS = envInt('BENCH_RUNS', 5, 1);
const WARMUP = envInt('BENCH_WARMUP', 1, 0);
const FLAT_MIB = envInt('BENCH_FLAT_MIB', 256, 0);
const EMULATOR_FROM = process.env.BENCH_EMULATOR ?? 'dist';
if (EMULATOR_FROM !== 'dist' && EMULATOR_FROM !== 'src') {
  throw new Error(`BENCH_EMULATOR must be "dist" or "src", not "${EMULATOR_FROM}"`);
}

const repo = resolve(import.meta.dirname, '..');
const distCli = join(repo, 'dist/cli/index.js');
for (const file of [distCli, '/usr/bin/time', '/usr/bin/curl']) {
  if (!existsSync(file)) throw new Error(`bench: ${file} is missing (the benchmark needs it)`);
}

// --- Objects: random bytes in files under a temp folder, served by the emulator with --root.

interface BenchObject {
  readonly key: string;
  readonly size: number;
  readonly source: string;
}

const work = benchFolder('cos-download-bench');
const root = join(work, 'root');
const out = join(work, 'out');
mkdirSync(root);
mkdirSync(out);

// Snapshot the bundled CLI (self-contained: ncc inlines its dependencies), so a build running in the
// repository meanwhile cannot change the tool between rounds; note the commit it was built from.
const git = (...args: string[]): string =>
  spawnSync('git', args, { cwd: repo, encoding: 'utf8' }).stdout?.trim() ?? '';
const distAt = `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', 'dist') === '' ? '' : ' + uncommitted dist/ changes'}`;
cpSync(dirname(distCli), join(work, 'cli'), { recursive: true });
const cli = join(work, 'cli/index.js');

function makeObject(mib: number): BenchObject {
  const key = `random-${mib}MiB.bin`;
  const source = join(root, key);
  const chunk = Buffer.alloc(16 * MiB);
  const fd = openSync(source, 'w');
  try {
    for (let left = mib * MiB; left > 0; left -= chunk.length) {
      const piece = chunk.subarray(0, Math.min(chunk.length, left));
      randomFillSync(piece);
      writeSync(fd, piece);
    }
  } finally {
    closeSync(fd);
  }
  return { key, size: mib * MiB, source };
}

const WINDOW = 64 * 1024;

/** The output has the object's size, and 8 random 64 KiB windows (and the last bytes) match it. */
function verify(file: string, object: BenchObject, tool: string): void {
  const size = existsSync(file) ? statSync(file).size : -1;
  if (size !== object.size) {
    throw new Error(`bench: ${tool} wrote ${size < 0 ? 'no file' : `${size} bytes`}, not ${object.size}`);
  }
  const offsets = Array.from({ length: 8 }, () => randomInt(0, Math.max(1, object.size - WINDOW)));
  offsets.push(Math.max(0, object.size - WINDOW));
  const got = Buffer.alloc(WINDOW);
  const want = Buffer.alloc(WINDOW);
  const a = openSync(file, 'r');
  const b = openSync(object.source, 'r');
  try {
    for (const offset of offsets) {
      const n = readSync(a, got, 0, WINDOW, offset);
      readSync(b, want, 0, WINDOW, offset);
      if (!got.subarray(0, n).equals(want.subarray(0, n))) {
        throw new Error(`bench: ${tool} wrote wrong bytes near offset ${offset}`);
      }
    }
  } finally {
    closeSync(a);
    closeSync(b);
  }
}

// --- The emulator, in its own process.

const loadBefore = loadavg()[0] ?? Number.NaN;
const objectsStarted = performance.now();
const main = makeObject(SIZE_MIB);
const flat = FLAT_MIB > 0 && FLAT_MIB !== SIZE_MIB ? makeObject(FLAT_MIB) : undefined;
process.stderr.write(
  `bench: wrote ${SIZE_MIB}${flat ? ` + ${FLAT_MIB}` : ''} MiB of random data in ${((performance.now() - objectsStarted) / 1000).toFixed(1)} s\n`,
);

const emulatorArgs = [
  'emulator',
  '--root',
  root,
  '--port',
  '0',
  '--host',
  '127.0.0.1',
  '--bucket',
  BUCKET,
  '--region',
  REGION,
  '--secret-id',
  SECRET_ID,
  '--secret-key',
  SECRET_KEY,
  '--public-read',
];
const emulatorCommand =
  EMULATOR_FROM === 'dist'
    ? [cli, ...emulatorArgs]
    : [
        '--experimental-transform-types',
        '--no-warnings',
        '--import',
        join(repo, '__tests__/helpers/ts-source.ts'),
        join(repo, 'bench/lib/emulator.ts'),
        ...emulatorArgs.slice(1),
      ];
const emulator = track(
  spawn(process.execPath, emulatorCommand, {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  }),
);
const emulatorStarted = performance.now();
const endpoint = await new Promise<string>((done, fail) => {
  let seen = '';
  const timer = setTimeout(
    () => fail(new Error('bench: the emulator did not start in 10 minutes')),
    RUN_LIMIT_MS,
  );
  const onData = (text: string): void => {
    seen += text;
    const url = /at (http:\/\/127\.0\.0\.1:\d+);/.exec(seen)?.[1];
    if (url === undefined) return;
    clearTimeout(timer);
    emulator.stdout.off('data', onData);
    done(url);
  };
  emulator.stdout.setEncoding('utf8').on('data', onData);
  emulator.stderr.setEncoding('utf8').on('data', (text: string) => {
    seen += text;
  });
  emulator.once('exit', (code) => {
    clearTimeout(timer);
    fail(new Error(`bench: the emulator exited (${code}) before serving: ${seen.slice(-2000)}`));
  });
});
emulator.stdout.resume();
emulator.stderr.resume();
process.stderr.write(
  `bench: emulator (${EMULATOR_FROM}) at ${endpoint}, loaded in ${((performance.now() - emulatorStarted) / 1000).toFixed(1)} s\n`,
);

const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** The emulator's user + system CPU seconds so far (/proc/PID/stat fields 14 and 15). */
function emulatorCpuSeconds(): number {
  const stat = readFileSync(`/proc/${emulator.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

// --- The tools.

interface Tool {
  readonly name: string;
  readonly command: (object: BenchObject, file: string) => readonly string[];
}

const sdk = (options: { chunkSize?: number; parallel?: number }) => (object: BenchObject, file: string) => [
  process.execPath,
  join(repo, 'bench/lib/sdk-download.mjs'),
  JSON.stringify({ endpoint, bucket: BUCKET, region: REGION, key: object.key, file, ...options }),
];

const cosDownload: Tool = {
  name: 'cos-download (CRC on, 20 MiB × 8)',
  command: (object, file) => [
    process.execPath,
    cli,
    '--bucket',
    BUCKET,
    '--endpoint',
    endpoint,
    '--key',
    object.key,
    '--destination',
    file,
  ],
};
const sdkDefaults: Tool = { name: 'official SDK downloadFile, defaults (1 MiB × 5)', command: sdk({}) };
const curl: Tool = {
  name: 'curl, one stream',
  command: (object, file) => ['/usr/bin/curl', '-sS', '-o', file, `${endpoint}/${object.key}`],
};
const floor: Tool = {
  name: 'undici floor: 20 MiB × 8, no CRC, no fsync',
  command: (object, file) => [
    process.execPath,
    join(repo, 'bench/lib/undici-floor.mjs'),
    JSON.stringify({
      url: `${endpoint}/${object.key}`,
      size: object.size,
      file,
      partSize: 20 * MiB,
      concurrency: 8,
    }),
  ],
};
const tools: readonly Tool[] = [
  cosDownload,
  sdkDefaults,
  {
    name: 'official SDK downloadFile, ChunkSize 20 MiB × 5',
    command: sdk({ chunkSize: 20 * MiB, parallel: 5 }),
  },
  curl,
  floor,
];

const toolEnv: NodeJS.ProcessEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? work,
  TENCENTCLOUD_SECRET_ID: SECRET_ID,
  TENCENTCLOUD_SECRET_KEY: SECRET_KEY,
  NO_PROXY: '127.0.0.1',
};

interface Sample {
  readonly wall: number;
  readonly rssKiB: number;
  readonly emulatorCpu: number;
  readonly flush: number;
}

async function measure(tool: Tool, object: BenchObject): Promise<Sample> {
  const file = join(out, 'download.bin');
  const timeFile = join(work, 'time.txt');
  const cpuBefore = emulatorCpuSeconds();
  const started = performance.now();
  const result = await run(
    '/usr/bin/time',
    ['-f', '%e %M', '-o', timeFile, '--', ...tool.command(object, file)],
    {
      label: tool.name,
      env: toolEnv,
      limitMs: RUN_LIMIT_MS,
    },
  );
  const wall = (performance.now() - started) / 1000;
  const emulatorCpu = emulatorCpuSeconds() - cpuBefore;
  if (result.code !== 0) {
    throw new Error(
      `bench: ${tool.name} exited with ${result.code ?? result.signal}:\n${result.stderr.slice(-2000)}`,
    );
  }
  verify(file, object, tool.name);
  const rssKiB = Number(readFileSync(timeFile, 'utf8').trim().split(/\s+/).at(-1));
  if (!Number.isFinite(rssKiB)) throw new Error(`bench: cannot read /usr/bin/time's output in ${timeFile}`);
  const flushStarted = performance.now();
  spawnSync('sync');
  const flush = (performance.now() - flushStarted) / 1000;
  rmSync(out, { recursive: true, force: true }); // the download and any temp or checkpoint file
  mkdirSync(out);
  process.stderr.write(
    `  ${tool.name}: ${wall.toFixed(2)} s, ${(rssKiB / 1024).toFixed(0)} MiB, emulator CPU ${emulatorCpu.toFixed(2)} s, sync ${flush.toFixed(2)} s\n`,
  );
  return { wall, rssKiB, emulatorCpu, flush };
}

// --- Rounds.

const samples = new Map<Tool, Sample[]>(tools.map((tool) => [tool, []]));
for (let round = -WARMUP; round < RUNS; round++) {
  process.stderr.write(`bench: ${round < 0 ? 'warm-up round' : `round ${round + 1}/${RUNS}`}\n`);
  for (let k = 0; k < tools.length; k++) {
    const tool = tools[(k + round + WARMUP) % tools.length];
    if (tool === undefined) continue;
    const sample = await measure(tool, main);
    if (round >= 0) samples.get(tool)?.push(sample);
  }
}
const flatSamples: Sample[] = [];
if (flat !== undefined) {
  process.stderr.write(`bench: cos-download on the ${FLAT_MIB} MiB object\n`);
  for (let round = 0; round < RUNS; round++) flatSamples.push(await measure(cosDownload, flat));
}
const emulatorPeakKiB = Number(
  /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${emulator.pid}/status`, 'utf8'))?.[1],
);
killGroup(emulator, 'SIGTERM');

// --- Report.

const of = (tool: Tool): Sample[] => samples.get(tool) ?? [];
const mib = (kib: number): string => (kib / 1024).toFixed(0);
/** Median over rounds of tool's time ÷ base's time in the same round. */
const ratio = (tool: Tool, base: Tool): number =>
  median(of(tool).map((sample, i) => sample.wall / (of(base)[i]?.wall ?? Number.NaN)));

const curlVersion =
  spawnSync('/usr/bin/curl', ['--version'], { encoding: 'utf8' }).stdout.split(' ')[1] ?? '?';
const sdkVersion = (
  JSON.parse(readFileSync(join(repo, 'node_modules/cos-nodejs-sdk-v5/package.json'), 'utf8')) as {
    version: string;
  }
).version;
console.log(
  `Download of one ${SIZE_MIB} MiB random object from the COS emulator (${EMULATOR_FROM}) on 127.0.0.1, ` +
    `median of ${RUNS} interleaved rounds (after ${WARMUP} warm-up), MiB = 2^20 bytes`,
);
console.log(
  `node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, curl ${curlVersion}, ` +
    `cos-nodejs-sdk-v5 ${sdkVersion}, cos-download dist/ at ${distAt}; ` +
    `1-minute load average ${loadBefore.toFixed(2)} before, ${(loadavg()[0] ?? Number.NaN).toFixed(2)} after\n`,
);
console.log(
  '| tool | median wall s | median MiB/s | median peak RSS MiB | time ratio vs official SDK defaults | time ratio vs curl |',
);
console.log('|---|---:|---:|---:|---:|---:|');
for (const tool of tools) {
  const list = of(tool);
  console.log(
    `| ${tool.name} | ${median(list.map((s) => s.wall)).toFixed(2)} | ` +
      `${median(list.map((s) => main.size / MiB / s.wall)).toFixed(0)} | ${mib(median(list.map((s) => s.rssKiB)))} | ` +
      `${ratio(tool, sdkDefaults).toFixed(2)}× | ${ratio(tool, curl).toFixed(2)}× |`,
  );
}

const vsSdk = ratio(cosDownload, sdkDefaults);
const vsCurl = ratio(cosDownload, curl);
console.log(
  `\nTargets: cos-download ≤ 0.6× the official SDK's time: ${vsSdk.toFixed(2)}× — ${vsSdk <= 0.6 ? 'met' : 'NOT met'}; ` +
    `≤ 1.3× curl's: ${vsCurl.toFixed(2)}× — ${vsCurl <= 1.3 ? 'met' : 'NOT met'}. ` +
    `cos-download ÷ the undici floor (the same parts with nothing checked or flushed): ${ratio(cosDownload, floor).toFixed(2)}×.`,
);

console.log('\n| tool | emulator CPU s a run | emulator CPU ÷ wall | `sync` after the run, s |');
console.log('|---|---:|---:|---:|');
for (const tool of tools) {
  const list = of(tool);
  console.log(
    `| ${tool.name} | ${median(list.map((s) => s.emulatorCpu)).toFixed(2)} | ` +
      `${(median(list.map((s) => s.emulatorCpu / s.wall)) * 100).toFixed(0)} % | ${median(list.map((s) => s.flush)).toFixed(2)} |`,
  );
}
console.log(
  `\nThe emulator is single-threaded: near 100 % of a core while a tool runs, it (not the tool) sets the pace. ` +
    `Its peak RSS: ${mib(emulatorPeakKiB)} MiB (it holds every object in memory).`,
);
if (flat !== undefined) {
  console.log(
    `cos-download peak RSS (median of ${RUNS}): ${FLAT_MIB} MiB object → ${mib(median(flatSamples.map((s) => s.rssKiB)))} MiB, ` +
      `${SIZE_MIB} MiB object → ${mib(median(of(cosDownload).map((s) => s.rssKiB)))} MiB.`,
  );
}
cleanUp();
