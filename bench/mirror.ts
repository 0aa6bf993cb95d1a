// Prefix mirroring: cos-download `--prefix` (the bundled CLI in dist/, its defaults: concurrency 8,
// CRC on, manifest) against the way Tencent documents for its official Node SDK (cos-nodejs-sdk-v5:
// getBucket pages, then downloadFile per key, 5 keys at a time), on many small objects served by the
// project's COS emulator on 127.0.0.1. Then cos-download again over its own output with nothing
// changed, which must skip every file without a GET Object. Run from the repository root:
//
//   npx node bench/mirror.ts        (2,000 × 16 KiB objects in 20 folders, 5 rounds)
//
// Environment (integers are parsed strictly; anything else is refused):
//   BENCH_RUNS       measured rounds, default 5 (medians reported)
//   BENCH_WARMUP     unmeasured rounds first, default 1
//   BENCH_OBJECTS    objects under corpus/, default 2000
//   BENCH_SIZE_KIB   bytes of each object (random), default 16
//   BENCH_FOLDERS    subfolders of corpus/ the objects are spread over, default 20
//   BENCH_TMP        parent folder of the temp folder (corpus and outputs), default os.tmpdir()
//   BENCH_RUN_LIMIT_S  a run taking longer is killed and the benchmark stops, default 300
//
// The emulator runs from src/ in its own process (bench/lib/mirror-emulator.ts, forked with an IPC
// channel) so its request counters can be read after each run: GET Object, HEAD Object and list
// requests are counted at the server. It is public-read with credentials: cos-download reads
// anonymously (as the command below), the SDK (which cannot send unsigned requests) signs.
// Every tool runs as its own process under `/usr/bin/time` (CPU and peak RSS); wall time is measured
// here around the process. Each round runs: a start-up probe (`cos-download --version`), then in an
// order alternating by round the SDK way and cos-download's first run followed by its re-run, and
// last the files floor (bench/lib/files-floor.mjs: the corpus copied with the same per-file fsync and
// rename, no network), which shows what the file system alone costs here. After each first run the output is checked (file count, sizes, 32 random files byte for byte), `sync` is
// timed (the page-cache flush the tool left behind: cos-download fsyncs each file inside its own
// time, the SDK does not) and, after the re-run, the output folder is deleted. Ratios are medians of
// per-round ratios. Any run over BENCH_RUN_LIMIT_S (5 minutes) is killed and the benchmark stops.
import { fork, spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import type * as Harness from './lib/harness.js';
import type { MirrorEmulatorCounts } from './lib/mirror-emulator.js';

// Node strips types but does not map `./x.js` imports to `./x.ts`, and tsconfig.json refuses `.ts` ones.
const { benchFolder, envInt, killGroup, median, run, track }: typeof Harness = await import(
  new URL('./lib/harness.ts', import.meta.url).href
);

const KiB = 1024;
const BUCKET = 'examplebucket-1250000000';
const REGION = 'ap-guangzhou';
const SECRET_ID = 'AKIDmirrorbench000000001';
const SECRET_KEY = 'mirror-benchmark-secret-key';
const PREFIX = 'corpus';
const MANIFEST = '.cos-download/manifest.json';
const SDK_PARALLEL = 5;

const RUNS = envInt('BENCH_RUNS', 5, 1);
const WARMUP = envInt('BENCH_WARMUP', 1, 0);
const OBJECTS = envInt('BENCH_OBJECTS', 2000, 1);
const SIZE = envInt('BENCH_SIZE_KIB', 16, 1) * KiB;
const RUN_LIMIT_MS = envInt('BENCH_RUN_LIMIT_S', 300, 1) * 1000;
const FOLDERS = Math.min(envInt('BENCH_FOLDERS', 20, 1), OBJECTS);

const repo = resolve(import.meta.dirname, '..');
const cli = join(repo, 'dist/cli/index.js');
for (const file of [cli, '/usr/bin/time']) {
  if (!existsSync(file)) throw new Error(`bench: ${file} is missing (the benchmark needs it)`);
}

// --- The corpus: OBJECTS random files under root/corpus/dNN/, served by the emulator (--root).

const work = benchFolder('cos-download-mirror-bench');
const root = join(work, 'root');
const corpus = join(root, PREFIX);
const outputs = join(work, 'out');
mkdirSync(outputs, { recursive: true });

const relatives: string[] = [];
{
  const started = performance.now();
  const width = String(OBJECTS - 1).length;
  for (let folder = 0; folder < FOLDERS; folder++)
    mkdirSync(join(corpus, `d${String(folder).padStart(2, '0')}`), { recursive: true });
  for (let i = 0; i < OBJECTS; i++) {
    const relative = `d${String(i % FOLDERS).padStart(2, '0')}/f${String(i).padStart(width, '0')}.bin`;
    writeFileSync(join(corpus, relative), randomBytes(SIZE));
    relatives.push(relative);
  }
  spawnSync('sync');
  process.stderr.write(
    `bench: wrote ${OBJECTS} × ${SIZE / KiB} KiB objects in ${FOLDERS} folders under ${corpus} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
}

/** OUT holds exactly the corpus (plus, for cos-download, its manifest): count, sizes, 32 files' bytes. */
function verify(out: string, tool: string, manifest: boolean): void {
  const found: string[] = [];
  const walk = (folder: string, relative: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(join(folder, entry.name), rel);
      else found.push(rel);
    }
  };
  if (!existsSync(out)) throw new Error(`bench: ${tool} left no output folder ${out}`);
  walk(out, '');
  const files = found.filter((rel) => rel !== MANIFEST);
  if (manifest && files.length === found.length) throw new Error(`bench: ${tool} wrote no ${MANIFEST}`);
  if (files.length !== OBJECTS) {
    const extra = files.filter((rel) => !rel.endsWith('.bin')).slice(0, 5);
    throw new Error(
      `bench: ${tool} left ${files.length} files, not ${OBJECTS}${extra.length > 0 ? ` (e.g. ${extra.join(', ')})` : ''}`,
    );
  }
  const expected = new Set(relatives);
  for (const rel of files) {
    if (!expected.has(rel)) throw new Error(`bench: ${tool} wrote an unexpected file ${rel}`);
    const size = statSync(join(out, rel)).size;
    if (size !== SIZE) throw new Error(`bench: ${tool} wrote ${size} bytes to ${rel}, not ${SIZE}`);
  }
  for (let n = 0; n < Math.min(32, OBJECTS); n++) {
    const rel = relatives[randomInt(0, OBJECTS)] as string;
    if (!readFileSync(join(out, rel)).equals(readFileSync(join(corpus, rel)))) {
      throw new Error(`bench: ${tool} wrote wrong bytes to ${rel}`);
    }
  }
}

// --- The emulator, in its own process, with an IPC channel for its counters.

const emulator = track(
  fork(
    join(repo, 'bench/lib/mirror-emulator.ts'),
    [JSON.stringify({ root, bucket: BUCKET, region: REGION, secretId: SECRET_ID, secretKey: SECRET_KEY })],
    {
      execArgv: [
        '--experimental-transform-types',
        '--no-warnings',
        '--import',
        join(repo, '__tests__/helpers/ts-source.ts'),
      ],
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  ),
);

type EmulatorMessage =
  | { type: 'ready'; url: string; bucket: string; region: string; loadMs: number }
  | { type: 'stats'; counts: MirrorEmulatorCounts }
  | { type: 'reset' };

function nextMessage<T extends EmulatorMessage['type']>(
  type: T,
  limitMs = 60_000,
): Promise<Extract<EmulatorMessage, { type: T }>> {
  return new Promise((done, fail) => {
    const onMessage = (message: EmulatorMessage): void => {
      if (message.type !== type) return;
      finish();
      done(message as Extract<EmulatorMessage, { type: T }>);
    };
    const onExit = (code: number | null): void => {
      finish();
      fail(new Error(`bench: the emulator exited (${code}) while the benchmark waited for '${type}'`));
    };
    const timer = setTimeout(() => {
      finish();
      fail(new Error(`bench: the emulator did not answer '${type}' in ${limitMs / 1000} s`));
    }, limitMs);
    const finish = (): void => {
      clearTimeout(timer);
      emulator.off('message', onMessage);
      emulator.off('exit', onExit);
    };
    emulator.on('message', onMessage);
    emulator.once('exit', onExit);
  });
}

const ready = await nextMessage('ready', 5 * 60_000);
const endpoint = ready.url;
process.stderr.write(
  `bench: emulator (src/) at ${endpoint}, corpus loaded in ${(ready.loadMs / 1000).toFixed(1)} s\n`,
);

async function resetStats(): Promise<void> {
  const answer = nextMessage('reset');
  emulator.send({ cmd: 'reset' });
  await answer;
}

async function readStats(): Promise<MirrorEmulatorCounts> {
  const answer = nextMessage('stats');
  emulator.send({ cmd: 'stats' });
  return (await answer).counts;
}

const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU seconds (user + system) of a live process, from /proc/PID/stat fields 14 and 15. */
function cpuSecondsOf(pid: number | undefined): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Busy and total CPU seconds of the whole machine (all cores), from /proc/stat. */
function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: (total - idle) / ticksPerSecond, total: total / ticksPerSecond };
}

// --- The tools.

type ToolId = 'cos-first' | 'cos-rerun' | 'sdk' | 'disk' | 'startup';

const toolNames: Record<ToolId, string> = {
  'cos-first': 'cos-download --prefix, first run (concurrency 8)',
  'cos-rerun': 'cos-download --prefix, re-run, nothing changed',
  sdk: `official SDK: getBucket + downloadFile × ${SDK_PARALLEL}`,
  disk: 'files floor: copy the corpus, write + fsync + rename, 8 at a time (no network)',
  startup: 'cos-download --version (process start-up only)',
};

/** The runs that start from an empty output folder (their `sync` afterwards is timed). */
const startsEmpty = (id: ToolId): boolean => id === 'cos-first' || id === 'sdk' || id === 'disk';

const outFor = (id: ToolId): string => join(outputs, id === 'sdk' || id === 'disk' ? id : 'cos');

function commandFor(id: ToolId): string[] {
  if (id === 'startup') return [process.execPath, cli, '--version'];
  if (id === 'disk') {
    return [
      process.execPath,
      join(repo, 'bench/lib/files-floor.mjs'),
      JSON.stringify({ from: corpus, to: outFor(id), concurrency: 8 }),
    ];
  }
  if (id === 'sdk') {
    return [
      process.execPath,
      join(repo, 'bench/lib/mirror-sdk.mjs'),
      JSON.stringify({
        endpoint,
        bucket: BUCKET,
        region: REGION,
        prefix: `${PREFIX}/`,
        destination: outFor(id),
        parallel: SDK_PARALLEL,
      }),
    ];
  }
  return [
    process.execPath,
    cli,
    '--bucket',
    BUCKET,
    '--endpoint',
    endpoint,
    '--prefix',
    PREFIX,
    '--destination',
    outFor(id),
    '--json',
  ];
}

const baseEnv: NodeJS.ProcessEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? work,
  NO_PROXY: '127.0.0.1',
};
// cos-download reads anonymously (no TENCENTCLOUD_* / COS_* variables reach it); the SDK signs.
const envFor = (id: ToolId): NodeJS.ProcessEnv =>
  id === 'sdk'
    ? { ...baseEnv, TENCENTCLOUD_SECRET_ID: SECRET_ID, TENCENTCLOUD_SECRET_KEY: SECRET_KEY }
    : baseEnv;

interface Sample {
  readonly wall: number;
  readonly cpu: number;
  readonly rssKiB: number;
  readonly emulatorCpu: number;
  readonly counts: MirrorEmulatorCounts;
  /** `sync` after the run (first runs only). */
  readonly flush?: number;
  /** CPU seconds the rest of the machine (not this benchmark's processes) used during the run. */
  readonly otherCpu: number;
}

const timeFile = join(work, 'time.txt');

async function measure(id: ToolId): Promise<Sample> {
  await resetStats();
  const emulatorBefore = cpuSecondsOf(emulator.pid);
  const selfBefore = process.cpuUsage();
  const machineBefore = machineCpu();
  const started = performance.now();
  const result = await run('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, '--', ...commandFor(id)], {
    label: toolNames[id],
    env: envFor(id),
    limitMs: RUN_LIMIT_MS,
    limitSetting: 'BENCH_RUN_LIMIT_S',
    cwd: repo,
    stdoutTail: 4 * 1024 * 1024,
  });
  const wall = (performance.now() - started) / 1000;
  const machineAfter = machineCpu();
  const self = process.cpuUsage(selfBefore);
  const emulatorCpu = cpuSecondsOf(emulator.pid) - emulatorBefore;
  const counts = await readStats();
  if (result.code !== 0) {
    throw new Error(
      `bench: ${toolNames[id]} exited with ${result.code ?? result.signal}:\n${result.stderr.slice(-2000)}`,
    );
  }
  const [, user, system, maxRss] =
    readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)?.split(/\s+/).map(Number) ?? [];
  const cpu = (user ?? Number.NaN) + (system ?? Number.NaN);
  const rss = maxRss ?? Number.NaN;
  if (!Number.isFinite(cpu) || !Number.isFinite(rss))
    throw new Error(`bench: cannot read /usr/bin/time's output in ${timeFile}`);
  const otherCpu = Math.max(
    0,
    machineAfter.busy - machineBefore.busy - cpu - emulatorCpu - (self.user + self.system) / 1e6,
  );

  let flush: number | undefined;
  if (id === 'cos-first' || id === 'cos-rerun') {
    const json = JSON.parse(result.stdout) as {
      ok: boolean;
      'files-downloaded'?: number;
      'files-skipped'?: number;
    };
    const [downloaded, skipped] = id === 'cos-first' ? [OBJECTS, 0] : [0, OBJECTS];
    if (json.ok !== true || json['files-downloaded'] !== downloaded || json['files-skipped'] !== skipped) {
      throw new Error(
        `bench: ${toolNames[id]} reported ${json['files-downloaded']} downloaded, ${json['files-skipped']} skipped; expected ${downloaded} and ${skipped}`,
      );
    }
  }
  if (id === 'cos-rerun' && counts.get !== 0) {
    process.stderr.write(
      `bench: TARGET MISSED: the re-run made ${counts.get} GET Object requests (must be 0)\n`,
    );
  }
  if (id !== 'startup') verify(outFor(id), toolNames[id], id === 'cos-first' || id === 'cos-rerun');
  if (startsEmpty(id)) {
    const flushStarted = performance.now();
    spawnSync('sync');
    flush = (performance.now() - flushStarted) / 1000;
  }
  if (id === 'cos-rerun' || id === 'sdk' || id === 'disk') {
    rmSync(outFor(id), { recursive: true, force: true });
    spawnSync('sync');
  }
  const countsText = `GET ${counts.get}, HEAD ${counts.head}, list ${counts.list}${counts.other > 0 ? `, other ${counts.other}` : ''}${counts.errors > 0 ? `, ${counts.errors} errors` : ''}`;
  process.stderr.write(
    `  ${toolNames[id]}: ${wall.toFixed(2)} s (CPU ${cpu.toFixed(2)} s, ${(rss / 1024).toFixed(0)} MiB), emulator CPU ${emulatorCpu.toFixed(2)} s, ${countsText}${flush === undefined ? '' : `, sync ${flush.toFixed(2)} s`}, others' CPU ${otherCpu.toFixed(2)} s\n`,
  );
  return { wall, cpu, rssKiB: rss, emulatorCpu, counts, otherCpu, ...(flush === undefined ? {} : { flush }) };
}

// --- Rounds: a start-up probe, then SDK and cos-download (first run, then re-run) in alternating order.

const ids: readonly ToolId[] = ['cos-first', 'cos-rerun', 'sdk', 'disk', 'startup'];
const samples = new Map<ToolId, Sample[]>(ids.map((id) => [id, []]));
const loadBefore = loadavg();
const benchStarted = performance.now();
rmSync(outFor('cos-first'), { recursive: true, force: true });
for (let round = -WARMUP; round < RUNS; round++) {
  process.stderr.write(
    `bench: ${round < 0 ? 'warm-up round' : `round ${round + 1}/${RUNS}`} (load average ${loadavg()[0]?.toFixed(2)})\n`,
  );
  const cosPair: ToolId[] = ['cos-first', 'cos-rerun'];
  const order: ToolId[] = [
    'startup',
    ...((round + WARMUP) % 2 === 0 ? [...cosPair, 'sdk' as const] : ['sdk' as const, ...cosPair]),
    'disk',
  ];
  for (const id of order) {
    const sample = await measure(id);
    if (round >= 0) samples.get(id)?.push(sample);
  }
}
const benchSeconds = (performance.now() - benchStarted) / 1000;
const loadAfter = loadavg();
emulator.send({ cmd: 'stop' });
await new Promise((done) => setTimeout(done, 200));
killGroup(emulator, 'SIGTERM');

// --- Report.

const of = (id: ToolId): Sample[] => samples.get(id) ?? [];
const med = (id: ToolId, pick: (s: Sample) => number): number => median(of(id).map(pick));
/** Median over rounds of id's wall time ÷ base's wall time in the same round. */
const ratio = (id: ToolId, base: ToolId): number =>
  median(of(id).map((s, i) => s.wall / (of(base)[i]?.wall ?? Number.NaN)));
/** "a" when every round agrees, else "min–max". */
const countText = (id: ToolId, pick: (c: MirrorEmulatorCounts) => number): string => {
  const values = of(id).map((s) => pick(s.counts));
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi ? String(lo) : `${lo}–${hi}`;
};

const firstVsSdk = ratio('cos-first', 'sdk');
const rerunVsFirst = ratio('cos-rerun', 'cos-first');
const rerunGets = Math.max(...of('cos-rerun').map((s) => s.counts.get));
const startupVsFirst = ratio('startup', 'cos-first');

const sdkVersion = (
  JSON.parse(readFileSync(join(repo, 'node_modules/cos-nodejs-sdk-v5/package.json'), 'utf8')) as {
    version: string;
  }
).version;
const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo, encoding: 'utf8' }).stdout.trim();
const dirty =
  spawnSync('git', ['status', '--porcelain', '--', 'src', 'dist'], {
    cwd: repo,
    encoding: 'utf8',
  }).stdout.trim() !== '';
const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
const fsType =
  spawnSync('df', ['--output=fstype', work], { encoding: 'utf8' }).stdout.trim().split('\n').at(-1) ?? '?';
const others = median(ids.flatMap((id) => of(id).map((s) => s.otherCpu / s.wall)));

const row = (id: ToolId, ratioText: string): string => {
  const wall = med(id, (s) => s.wall);
  const filesPerSecond = id === 'startup' ? '—' : (OBJECTS / wall).toFixed(0);
  const flush = startsEmpty(id) ? med(id, (s) => s.flush ?? Number.NaN).toFixed(2) : '—';
  return `| ${toolNames[id]} | ${wall.toFixed(2)} | ${filesPerSecond} | ${countText(id, (c) => c.get)} | ${countText(id, (c) => c.head)} | ${countText(id, (c) => c.list)} | ${ratioText} | ${med(id, (s) => s.cpu).toFixed(2)} | ${med(id, (s) => s.emulatorCpu).toFixed(2)} | ${flush} |`;
};
const verdict = (ok: boolean): string => (ok ? 'met' : '**MISSED**');

const lines = [
  `### Prefix mirror: ${OBJECTS} × ${SIZE / KiB} KiB objects in ${FOLDERS} folders, ${RUNS} rounds (medians)`,
  '',
  `Command: \`npx node bench/mirror.ts\`${RUNS !== 5 ? ` with BENCH_RUNS=${RUNS}` : ''}. cos-download: \`node dist/cli/index.js --bucket ${BUCKET} --endpoint URL --prefix ${PREFIX} --destination OUT --json\` (anonymous). Requests are counted at the emulator.`,
  '',
  '| tool | median wall s | files/s | GET | HEAD | list | ratio | tool CPU s | emulator CPU s | `sync` after s |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  row('sdk', '1'),
  row('cos-first', `${firstVsSdk.toFixed(2)}× SDK`),
  row('cos-rerun', `${rerunVsFirst.toFixed(3)}× first run`),
  row('disk', `${ratio('disk', 'sdk').toFixed(2)}× SDK`),
  row('startup', `${startupVsFirst.toFixed(3)}× first run`),
  '',
  `Targets: first run ≤ 0.33× the SDK way: ${firstVsSdk.toFixed(2)}× — ${verdict(firstVsSdk <= 0.33)}. ` +
    `Re-run with nothing changed: ${rerunGets} GET — ${verdict(rerunGets === 0)}; ${rerunVsFirst.toFixed(3)}× the first run (≤ 0.15×) — ${verdict(rerunVsFirst <= 0.15)}.`,
  '',
  `Node ${process.version}, cos-nodejs-sdk-v5 ${sdkVersion}, ${cpuModel} × ${cpus().length}, ${fsType} temp folder, ` +
    `commit ${git}${dirty ? ' (src/ or dist/ modified)' : ''}; ${RUNS} rounds after ${WARMUP} warm-up, ${benchSeconds.toFixed(0)} s in all. ` +
    `Load average ${loadBefore[0]?.toFixed(2)} before, ${loadAfter[0]?.toFixed(2)} after; other processes used a median ${(others * 100).toFixed(0)}% of one core during the runs` +
    `${others > 0.25 ? ' — the machine was busy, so trust the same-round ratios more than the absolute times' : ''}.`,
];
process.stdout.write(`${lines.join('\n')}\n`);
