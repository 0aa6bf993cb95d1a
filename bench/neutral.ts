// cos-download against its peers on a neutral server: nginx on 127.0.0.1 (bench/lib/nginx.ts) serving
// generated objects with the headers COS sends, every tool in the same interleaved rounds. Run from
// the repository root after `npm run build` (it runs the bundled CLI in dist/, copied at start):
//
//   npm run bench:neutral                 (all three benchmarks, 5 rounds after 1 warm-up)
//   BENCH_RUNS=3 BENCH_ONLY=download npm run bench:neutral
//
// Benchmarks (BENCH_ONLY, comma-separated; default all):
//   download  one BENCH_SIZE_MIB object: cos-download (defaults; and --crc false), curl (one stream),
//             aria2c -x4 -s4, rclone copyto (s3 backend, 4 streams), the official SDK's downloadFile
//             (defaults; 20 MiB × 5) and the undici floor (the same parts as cos-download, nothing checked)
//   mirror    BENCH_OBJECTS × BENCH_SIZE_KIB under corpus/ in BENCH_FOLDERS folders: cos-download
//             --prefix, rclone copy (defaults) and the SDK pattern (getBucket + downloadFile × 5) into
//             an empty folder, then cos-download and rclone again over their own output, unchanged
//   latency   BENCH_LATENCY_OBJECTS × BENCH_SIZE_KIB with BENCH_LATENCY_MS before every answer:
//             cos-download vs the SDK pattern, served by our COS emulator's latency fault (nginx cannot
//             add latency to a static answer)
//
// Environment (integers are parsed strictly; anything else is refused):
//   BENCH_RUNS (5), BENCH_WARMUP (1), BENCH_SIZE_MIB (1024), BENCH_OBJECTS (2000), BENCH_SIZE_KIB (16),
//   BENCH_FOLDERS (20), BENCH_LATENCY_OBJECTS (500), BENCH_LATENCY_MS (20), BENCH_RUN_LIMIT_S (600: one
//   run longer than this is killed and the benchmark stops), BENCH_TOTAL_LIMIT_S (5400), BENCH_TMP
//   (parent of the temp folder), BENCH_PROFILE=1 (after the rounds, one CPU-profiled cos-download run
//   of the big object and one of the fresh mirror, from lib/ so the profile names source files; summary
//   printed, .cpuprofile files kept in .bench/), BENCH_NO_INSTALL=1 (fail instead of running
//   bench/neutral/setup.sh when nginx, headers-more, aria2c, rclone, curl or /usr/bin/time is missing),
//   BENCH_TREE (a folder holding another commit's files, e.g. `git archive main | tar -x -C DIR`, with
//   its dist/ and, for BENCH_PROFILE, its lib/ built: that cos-download is measured; BENCH_TREE_LABEL
//   names it in the output), BENCH_QUIET_WAIT_S (30: before each run, wait up to this long for the machine's busy CPU to drop
//   below 0.3 core, so a run does not start inside someone else's test suite; 0 = do not wait),
//   BENCH_BASELINE (a folder with another build's dist/, e.g. `git archive main | tar -x -C DIR`: its
//   cos-download runs beside this one in every round, labelled BENCH_BASELINE_LABEL, with the extra
//   flags BENCH_BASELINE_ARGS (space-separated), for an A/B; BENCH_BASELINE=. compares two flag sets).
//
// Each tool runs as its own process under `/usr/bin/time` (user + system CPU of the process and the
// children it waited for, peak RSS of the largest); wall time is measured here around the process.
// Each round runs every tool once, in an order rotated by round (a first run and its unchanged re-run
// stay together); medians over rounds, ratios are medians of same-round ratios. After each run the
// output is checked (size, sampled bytes against the source; file counts for a mirror), `sync` is
// timed (the page-cache flush the tool left behind: not in its wall time) and the output deleted.
// Requests are counted from nginx's access log (the emulator's counters for `latency`). Results: a
// Markdown table per benchmark on stdout, everything in .bench/neutral-<time>.json.
import { fork, spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type * as Corpus from './lib/corpus.js';
import type * as Harness from './lib/harness.js';
import type { MirrorEmulatorCounts } from './lib/mirror-emulator.js';
import type * as NginxModule from './lib/nginx.js';
import type { Nginx, ServedObject } from './lib/nginx.js';
import type * as Profile from './lib/profile-summary.js';

// Node strips types but does not map `./x.js` imports to `./x.ts`, and tsconfig.json refuses `.ts` ones.
const lib = (name: string): string => new URL(`./lib/${name}`, import.meta.url).href;
const { benchFolder, cleanUp, envInt, median, run, track, killGroup }: typeof Harness = await import(
  lib('harness.ts')
);
const { writeObject }: typeof Corpus = await import(lib('corpus.ts'));
const { startNginx, HEADERS_MORE_MODULE }: typeof NginxModule = await import(lib('nginx.ts'));
const { summariseProfile }: typeof Profile = await import(lib('profile-summary.ts'));

const KiB = 1024;
const MiB = 2 ** 20;
const BUCKET = 'benchbucket-1250000000';
const REGION = 'ap-guangzhou';
const SECRET_ID = 'AKIDneutralbench00000001';
const SECRET_KEY = 'neutral-benchmark-secret-key';
const PREFIX = 'corpus';

// Small objects cos-download keeps in flight by default: `concurrency: auto`, as src/core/download.ts's
// concurrencyFor sizes it (16 a core, 32..64).
const SMALL_IN_FLIGHT = Math.min(64, Math.max(32, 16 * availableParallelism()));
const RUNS = envInt('BENCH_RUNS', 5, 1);
const WARMUP = envInt('BENCH_WARMUP', 1, 0);
const SIZE_MIB = envInt('BENCH_SIZE_MIB', 1024, 1);
const OBJECTS = envInt('BENCH_OBJECTS', 2000, 1);
const SMALL = envInt('BENCH_SIZE_KIB', 16, 1) * KiB;
const FOLDERS = Math.min(envInt('BENCH_FOLDERS', 20, 1), OBJECTS);
const LATENCY_OBJECTS = envInt('BENCH_LATENCY_OBJECTS', 500, 1);
const LATENCY_MS = envInt('BENCH_LATENCY_MS', 20, 0);
const RUN_LIMIT_MS = envInt('BENCH_RUN_LIMIT_S', 600, 1) * 1000;
const TOTAL_LIMIT_MS = envInt('BENCH_TOTAL_LIMIT_S', 5400, 1) * 1000;
const PROFILE = process.env.BENCH_PROFILE === '1';
const QUIET_WAIT_MS = envInt('BENCH_QUIET_WAIT_S', 30, 0) * 1000;
/** Busy CPU (in cores) of the rest of the machine below which a run may start. */
const QUIET_CORES = 0.3;
const ALL = ['download', 'mirror', 'latency'] as const;
type BenchId = (typeof ALL)[number];
const only = (process.env.BENCH_ONLY ?? ALL.join(',')).split(',').filter((s) => s !== '');
for (const name of only) {
  if (!(ALL as readonly string[]).includes(name)) {
    throw new Error(`BENCH_ONLY must list some of ${ALL.join(', ')}, not "${name}"`);
  }
}
const selected = (id: BenchId): boolean => only.includes(id);

const repo = resolve(import.meta.dirname, '..');

// --- The system tools: installed from Debian's packages when missing (bench/neutral/setup.sh).

const which = (name: string): string | undefined => {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  return found === '' ? undefined : found;
};
const missingTools = (): string[] =>
  [
    ...['nginx', 'aria2c', 'rclone', 'curl'].filter((name) => which(name) === undefined),
    ...(existsSync(HEADERS_MORE_MODULE) ? [] : ['headers-more']),
    ...(existsSync('/usr/bin/time') ? [] : ['/usr/bin/time']),
  ].filter((name) => selected('download') || selected('mirror') || name === '/usr/bin/time');
if (missingTools().length > 0) {
  if (process.env.BENCH_NO_INSTALL === '1') {
    throw new Error(
      `bench: missing ${missingTools().join(', ')}: run bench/neutral/setup.sh (BENCH_NO_INSTALL=1)`,
    );
  }
  process.stderr.write(`bench: missing ${missingTools().join(', ')}; running bench/neutral/setup.sh\n`);
  const setup = spawnSync('bash', [join(repo, 'bench/neutral/setup.sh')], { stdio: 'inherit' });
  if (setup.status !== 0 || missingTools().length > 0) {
    throw new Error(`bench: bench/neutral/setup.sh could not install ${missingTools().join(', ')}`);
  }
}
/** The cos-download under test: this checkout, or BENCH_TREE (another commit's files, e.g. `git archive`d). */
const tree = resolve(process.env.BENCH_TREE ?? repo);
const distCli = join(tree, 'dist/cli/index.js');
if (!existsSync(distCli)) throw new Error(`bench: ${distCli} is missing: run npm run build`);

const totalTimer = setTimeout(() => {
  process.stderr.write(`bench: over BENCH_TOTAL_LIMIT_S (${TOTAL_LIMIT_MS / 1000} s); stopping\n`);
  cleanUp();
  process.exit(1);
}, TOTAL_LIMIT_MS);
totalTimer.unref();

// --- The temp folder, the CLI snapshot (a build meanwhile cannot change it), the corpus.

const work = benchFolder('cos-download-neutral');
const git = (...args: string[]): string =>
  spawnSync('git', args, { cwd: repo, encoding: 'utf8' }).stdout?.trim() ?? '';
const commit =
  tree === repo
    ? `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', 'dist') === '' ? '' : ' + uncommitted dist/'}`
    : `BENCH_TREE ${process.env.BENCH_TREE_LABEL ?? tree}`;
cpSync(join(tree, 'dist/cli'), join(work, 'cli'), { recursive: true });
const cli = join(work, 'cli/index.js');
// BENCH_BASELINE: another build measured beside this one in every round (an A/B of one change).
const baselineTree =
  process.env.BENCH_BASELINE === undefined ? undefined : resolve(process.env.BENCH_BASELINE);
const baselineLabel = process.env.BENCH_BASELINE_LABEL ?? 'baseline';
const baselineArgs = (process.env.BENCH_BASELINE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
let baselineCli: string | undefined;
if (baselineTree !== undefined) {
  if (!existsSync(join(baselineTree, 'dist/cli/index.js'))) {
    throw new Error(`bench: BENCH_BASELINE ${baselineTree} has no dist/cli/index.js`);
  }
  cpSync(join(baselineTree, 'dist/cli'), join(work, 'cli-baseline'), { recursive: true });
  baselineCli = join(work, 'cli-baseline/index.js');
}
const root = join(work, 'root');
const out = join(work, 'out');
mkdirSync(root);
mkdirSync(out);
const rcloneConfig = join(work, 'rclone.conf');
writeFileSync(rcloneConfig, '');

const loadBefore = loadavg();
const corpusStarted = performance.now();
const served: ServedObject[] = [];
const bigKey = `random-${SIZE_MIB}MiB.bin`;
const big = selected('download') ? writeObject(root, bigKey, SIZE_MIB * MiB) : undefined;
if (big !== undefined) served.push(big);
const folderName = (i: number): string => `d${String(i % FOLDERS).padStart(2, '0')}`;
const smallKeys: string[] = [];
if (selected('mirror')) {
  for (let i = 0; i < OBJECTS; i++) {
    const key = `${PREFIX}/${folderName(i)}/f${String(i).padStart(5, '0')}.bin`;
    served.push(writeObject(root, key, SMALL));
    smallKeys.push(key);
  }
}
process.stderr.write(
  `bench: corpus written in ${((performance.now() - corpusStarted) / 1000).toFixed(1)} s (${served.length} objects)\n`,
);

// --- Measuring one run.

const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
function machineBusy(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - (v[3] ?? 0) - (v[4] ?? 0)) / ticksPerSecond;
}

interface Counts {
  readonly get: number;
  readonly head: number;
  readonly list: number;
  readonly errors: number;
}

interface Sample {
  readonly wall: number;
  readonly user: number;
  readonly system: number;
  readonly rssKiB: number;
  /** CPU seconds of the server (nginx or the emulator) during the run. */
  readonly serverCpu: number;
  /** CPU seconds the rest of the machine used during the run (other engineers' tests, the kernel's flusher). */
  readonly otherCpu: number;
  readonly counts: Counts;
  /** `sync` after the run, seconds (not in `wall`). */
  readonly flush: number;
  /** False when the machine was still busy after waiting BENCH_QUIET_WAIT_S before the run. */
  readonly quietStart: boolean;
}

interface Server {
  cpuSeconds(): number;
  begin(): Promise<void>;
  end(): Promise<Counts & { readonly failed?: readonly string[] }>;
}

interface Tool {
  readonly id: string;
  readonly name: string;
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** Throws when the run's output or stdout is wrong. */
  readonly check: (stdout: string, counts: Counts) => void;
  /** Removes the output (untimed). Re-runs keep it for the run that follows. */
  readonly clean: boolean;
}

const baseEnv: NodeJS.ProcessEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? work,
  NO_PROXY: '127.0.0.1',
};
/** The SDK cannot send unsigned requests; the servers ignore (nginx) or accept (the emulator) its signature. */
const signedEnv: NodeJS.ProcessEnv = {
  ...baseEnv,
  TENCENTCLOUD_SECRET_ID: SECRET_ID,
  TENCENTCLOUD_SECRET_KEY: SECRET_KEY,
};

const timeFile = join(work, 'time.txt');

/**
 * Waits (up to BENCH_QUIET_WAIT_S) until the machine's busy CPU over half a second is below
 * QUIET_CORES, so a run does not start in the middle of someone else's test suite. The wait is
 * not measured; every run is kept either way (true = it started quiet).
 */
async function waitQuiet(): Promise<boolean> {
  const until = performance.now() + QUIET_WAIT_MS;
  for (;;) {
    const before = machineBusy();
    const started = performance.now();
    await new Promise((done) => setTimeout(done, 500));
    const cores = (machineBusy() - before) / ((performance.now() - started) / 1000);
    if (cores < QUIET_CORES) return true;
    if (performance.now() >= until) return false;
  }
}

async function measure(tool: Tool, server: Server): Promise<Sample> {
  const quietStart = QUIET_WAIT_MS === 0 ? true : await waitQuiet();
  await server.begin();
  const serverBefore = server.cpuSeconds();
  const selfBefore = process.cpuUsage();
  const busyBefore = machineBusy();
  const started = performance.now();
  const result = await run('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, '--', ...tool.argv], {
    label: tool.name,
    env: tool.env,
    limitMs: RUN_LIMIT_MS,
    limitSetting: 'BENCH_RUN_LIMIT_S',
    cwd: repo,
    stdoutTail: 1024 * 1024,
  });
  const wall = (performance.now() - started) / 1000;
  const busy = machineBusy() - busyBefore;
  const self = process.cpuUsage(selfBefore);
  const serverCpu = server.cpuSeconds() - serverBefore;
  const counts = await server.end();
  if (result.code !== 0) {
    throw new Error(
      `bench: ${tool.name} exited with ${result.code ?? result.signal}:\n${result.stderr.slice(-3000)}` +
        `${counts.failed?.length ? `\nfailed requests: ${counts.failed.join('; ')}` : ''}`,
    );
  }
  const [, user = Number.NaN, system = Number.NaN, rssKiB = Number.NaN] =
    readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)?.split(/\s+/).map(Number) ?? [];
  if (![user, system, rssKiB].every(Number.isFinite)) {
    throw new Error(`bench: cannot read /usr/bin/time's output in ${timeFile}`);
  }
  tool.check(result.stdout, counts);
  const flushStarted = performance.now();
  spawnSync('sync');
  const flush = (performance.now() - flushStarted) / 1000;
  if (tool.clean) {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out);
    spawnSync('sync');
  }
  const otherCpu = Math.max(0, busy - user - system - serverCpu - (self.user + self.system) / 1e6);
  process.stderr.write(
    `  ${tool.name}: ${wall.toFixed(2)} s, CPU ${(user + system).toFixed(2)} s, ${(rssKiB / 1024).toFixed(0)} MiB, ` +
      `server CPU ${serverCpu.toFixed(2)} s, GET ${counts.get} HEAD ${counts.head} list ${counts.list}` +
      `${counts.errors > 0 ? ` (${counts.errors} ≥ 400)` : ''}, sync ${flush.toFixed(2)} s, others ${otherCpu.toFixed(2)} s` +
      `${quietStart ? '' : ' (started busy)'}\n`,
  );
  return { wall, user, system, rssKiB, serverCpu, otherCpu, counts, flush, quietStart };
}

/** Runs `groups` (tools that run back to back, e.g. a first run and its re-run) in rotated order. */
async function rounds(
  title: string,
  groups: readonly (readonly Tool[])[],
  server: Server,
): Promise<Map<string, Sample[]>> {
  const samples = new Map<string, Sample[]>();
  for (const group of groups) for (const tool of group) samples.set(tool.id, []);
  for (let round = -WARMUP; round < RUNS; round++) {
    process.stderr.write(
      `bench ${title}: ${round < 0 ? 'warm-up round' : `round ${round + 1}/${RUNS}`} (load average ${loadavg()[0]?.toFixed(2)})\n`,
    );
    for (let k = 0; k < groups.length; k++) {
      const group = groups[(k + round + WARMUP) % groups.length] ?? [];
      for (const tool of group) {
        const sample = await measure(tool, server);
        if (round >= 0) samples.get(tool.id)?.push(sample);
      }
    }
  }
  return samples;
}

// --- Checks.

const WINDOW = 64 * KiB;

/** `file` has `source`'s size, and 8 random 64 KiB windows and the tail match it. */
function sameBytes(file: string, source: string, size: number, tool: string): void {
  const got = existsSync(file) ? statSync(file).size : -1;
  if (got !== size)
    throw new Error(`bench: ${tool} wrote ${got < 0 ? 'no file' : `${got} bytes`}, not ${size}`);
  const offsets = Array.from({ length: 8 }, () => randomInt(0, Math.max(1, size - WINDOW)));
  offsets.push(Math.max(0, size - WINDOW));
  const a = Buffer.alloc(WINDOW);
  const b = Buffer.alloc(WINDOW);
  const fa = openSync(file, 'r');
  const fb = openSync(source, 'r');
  try {
    for (const offset of offsets) {
      const n = readSync(fa, a, 0, WINDOW, offset);
      readSync(fb, b, 0, WINDOW, offset);
      if (!a.subarray(0, n).equals(b.subarray(0, n))) {
        throw new Error(`bench: ${tool} wrote wrong bytes near offset ${offset}`);
      }
    }
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}

/** `folder` holds exactly `keys` (relative to `prefix/`), of `size` bytes, 32 of them byte-checked. */
function sameTree(folder: string, from: string, keys: readonly string[], size: number, tool: string): void {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      // The tool's own files (cos-download's manifest, as `.cos-download-manifest.json` or under `.cos-download/`).
      if (dir === folder && entry.name.startsWith('.cos-download')) continue;
      if (entry.isDirectory()) walk(path);
      else found.push(relative(folder, path));
    }
  };
  if (!existsSync(folder)) throw new Error(`bench: ${tool} left no folder ${folder}`);
  walk(folder);
  const expected = new Set(keys.map((key) => key.slice(PREFIX.length + 1)));
  if (found.length !== expected.size || !found.every((rel) => expected.has(rel))) {
    const odd = found.filter((rel) => !expected.has(rel)).slice(0, 3);
    throw new Error(
      `bench: ${tool} left ${found.length} files, not ${expected.size}${odd.length > 0 ? ` (e.g. ${odd.join(', ')})` : ''}`,
    );
  }
  for (const rel of found) {
    if (statSync(join(folder, rel)).size !== size)
      throw new Error(`bench: ${tool} wrote ${rel} with a wrong size`);
  }
  for (let n = 0; n < Math.min(32, found.length); n++) {
    const rel = found[randomInt(0, found.length)] as string;
    if (!readFileSync(join(folder, rel)).equals(readFileSync(join(from, rel)))) {
      throw new Error(`bench: ${tool} wrote wrong bytes to ${rel}`);
    }
  }
}

function cosJson(stdout: string, downloaded: number, skipped: number, tool: string): void {
  const json = JSON.parse(stdout) as Record<string, unknown>;
  if (
    json.ok !== true ||
    Number(json['files-downloaded']) !== downloaded ||
    Number(json['files-skipped']) !== skipped
  ) {
    throw new Error(
      `bench: ${tool} reported ${String(json['files-downloaded'])} downloaded, ${String(json['files-skipped'])} skipped; expected ${downloaded} and ${skipped}`,
    );
  }
}

// --- Reporting.

interface Row {
  readonly tool: Tool;
}

interface Table {
  readonly id: BenchId;
  readonly title: string;
  readonly refs: readonly { readonly id: string; readonly label: string }[];
  readonly rows: readonly Row[];
  readonly samples: Map<string, Sample[]>;
  readonly serverName: string;
  readonly bytes?: number;
  readonly notes: readonly string[];
}

const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '—');

/** A command as the README shows it: the temp folder, the port, node and the repository made generic. */
function shown(argv: readonly string[], endpoint: string): string {
  return argv
    .map((arg) =>
      arg
        .replaceAll(process.execPath, 'node')
        .replaceAll(endpoint, 'http://127.0.0.1:PORT')
        .replaceAll(join(work, 'cli/index.js'), 'dist/cli/index.js')
        .replaceAll(work, '$TMP')
        .replaceAll(`${tree}/`, '')
        .replaceAll(`${repo}/`, ''),
    )
    .map((arg) => (/^[\w@%+=:,./$-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`))
    .join(' ');
}

function markdown(table: Table, endpoint: string): string {
  const of = (id: string): Sample[] => table.samples.get(id) ?? [];
  const med = (id: string, pick: (s: Sample) => number): number => median(of(id).map(pick));
  const ratio = (id: string, ref: string): number =>
    median(of(id).map((s, i) => s.wall / (of(ref)[i]?.wall ?? Number.NaN)));
  const span = (id: string, pick: (c: Counts) => number): string => {
    const values = of(id).map((s) => pick(s.counts));
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    return lo === hi ? String(lo) : `${lo}–${hi}`;
  };
  const lines = [
    `### ${table.title}`,
    '',
    `| tool | wall s | range s | ${table.refs.map((r) => `× ${r.label}`).join(' | ')} | CPU s (user+sys) | peak RSS MiB | ${table.bytes === undefined ? '' : 'MiB/s | '}${table.serverName} CPU s | GET / HEAD / list | \`sync\` after s |`,
    `| --- | ---: | ---: | ${table.refs.map(() => '---:').join(' | ')} | ---: | ---: | ${table.bytes === undefined ? '' : '---: | '}---: | ---: | ---: |`,
  ];
  for (const { tool } of table.rows) {
    const wall = med(tool.id, (s) => s.wall);
    const cells = [
      tool.name,
      f2(wall),
      `${f2(Math.min(...of(tool.id).map((s) => s.wall)))}–${f2(Math.max(...of(tool.id).map((s) => s.wall)))}`,
      ...table.refs.map((r) => (r.id === tool.id ? '1' : `${f2(ratio(tool.id, r.id))}×`)),
      f2(med(tool.id, (s) => s.user + s.system)),
      med(tool.id, (s) => s.rssKiB / 1024).toFixed(0),
      ...(table.bytes === undefined ? [] : [(table.bytes / MiB / wall).toFixed(0)]),
      f2(med(tool.id, (s) => s.serverCpu)),
      `${span(tool.id, (c) => c.get)} / ${span(tool.id, (c) => c.head)} / ${span(tool.id, (c) => c.list)}`,
      f2(med(tool.id, (s) => s.flush)),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  const all = table.rows.flatMap(({ tool }) => of(tool.id));
  const others = median(all.map((s) => s.otherCpu / s.wall));
  const busyStarts = all.filter((s) => !s.quietStart).length;
  lines.push(
    '',
    `Medians of ${RUNS} interleaved rounds (after ${WARMUP} warm-up); ratios are medians of same-round ratios. ` +
      `Machine CPU outside the tool, the server and the benchmark: a median ${(others * 100).toFixed(0)} % of one core during the runs` +
      `${others > 0.25 ? ' — the machine was busy: trust the same-round ratios and the CPU column more than the absolute times' : ''}` +
      `${QUIET_WAIT_MS > 0 ? `; ${busyStarts} of ${all.length} runs started while others still used ≥ ${QUIET_CORES} core after waiting up to ${QUIET_WAIT_MS / 1000} s` : ''}.`,
    ...table.notes.map((note) => `${note}`),
    '',
    'Commands:',
    '',
    ...table.rows.map(({ tool }) => `- ${tool.name}: \`${shown(tool.argv, endpoint)}\``),
  );
  return lines.join('\n');
}

// --- The neutral server, shared by `download` and `mirror`.

const tables: { table: Table; endpoint: string }[] = [];
const profiles: Record<string, unknown> = {};
const profileText: string[] = [];
let nginx: Nginx | undefined;
if (selected('download') || selected('mirror')) {
  const dir = join(work, 'nginx');
  mkdirSync(dir);
  const folders = Array.from({ length: FOLDERS }, (_, i) => ({
    prefix: `${PREFIX}/${folderName(i)}/`,
    delimiter: '/',
  }));
  nginx = await startNginx({
    dir,
    root,
    bucket: BUCKET,
    objects: served,
    listings: selected('mirror')
      ? [{ prefix: `${PREFIX}/`, delimiter: '' }, { prefix: `${PREFIX}/`, delimiter: '/' }, ...folders]
      : [],
  });
  process.stderr.write(`bench: ${nginx.version} at ${nginx.url} (${dir})\n`);
}
const nginxServer = (server: Nginx): Server => {
  let mark = 0;
  return {
    cpuSeconds: () => server.cpuSeconds(),
    begin: async () => {
      mark = server.logMark();
    },
    end: async () => server.requestsSince(mark),
  };
};

/** An rclone remote as a connection string: the s3 backend, anonymous (no keys), path style. */
const rcloneRemote = (endpoint: string, path: string): string =>
  `:s3,provider=Other,endpoint='${endpoint}':${BUCKET}/${path}`;

/** The same cos-download run with the BENCH_BASELINE build, or nothing without one. */
function baseline(tool: Tool): Tool[] {
  if (baselineCli === undefined) return [];
  return [
    {
      ...tool,
      id: `${tool.id}-base`,
      name: `${tool.name} [${baselineLabel}]`,
      argv: [...tool.argv.map((arg) => (arg === cli ? (baselineCli as string) : arg)), ...baselineArgs],
    },
  ];
}

function cosDownload(
  id: string,
  name: string,
  endpoint: string,
  extra: readonly string[],
  check: Tool['check'],
  clean = true,
): Tool {
  return {
    id,
    name,
    argv: [process.execPath, cli, '--bucket', BUCKET, '--endpoint', endpoint, ...extra],
    env: baseEnv,
    check,
    clean,
  };
}

// --- Benchmark 1: one big object.

if (selected('download') && nginx !== undefined && big !== undefined) {
  const endpoint = nginx.url;
  const file = join(out, 'download.bin');
  const checkFile =
    (tool: string): Tool['check'] =>
    () =>
      sameBytes(file, big.file, big.size, tool);
  const sdk = (id: string, name: string, options: Record<string, number>): Tool => ({
    id,
    name,
    argv: [
      process.execPath,
      join(repo, 'bench/lib/sdk-download.mjs'),
      JSON.stringify({ endpoint, bucket: BUCKET, region: REGION, key: bigKey, file, ...options }),
    ],
    env: signedEnv,
    check: checkFile(name),
    clean: true,
  });
  const tools: Tool[] = [
    cosDownload(
      'cos',
      'cos-download (defaults: CRC on, 20 MiB × 8)',
      endpoint,
      ['--key', bigKey, '--destination', file],
      checkFile('cos-download'),
    ),
    ...baseline(
      cosDownload(
        'cos',
        'cos-download (defaults: CRC on, 20 MiB × 8)',
        endpoint,
        ['--key', bigKey, '--destination', file],
        checkFile('cos-download'),
      ),
    ),
    cosDownload(
      'cos-nocrc',
      'cos-download --crc false',
      endpoint,
      ['--key', bigKey, '--destination', file, '--crc', 'false'],
      checkFile('cos-download --crc false'),
    ),
    {
      id: 'curl',
      name: 'curl, one stream',
      argv: ['curl', '-sS', '--fail', '-o', file, `${endpoint}/${bigKey}`],
      env: baseEnv,
      check: checkFile('curl'),
      clean: true,
    },
    {
      id: 'aria2c',
      name: 'aria2c -x4 -s4 (file allocation: default prealloc)',
      argv: [
        'aria2c',
        '-x4',
        '-s4',
        '-d',
        out,
        '-o',
        'download.bin',
        '--console-log-level=warn',
        '--summary-interval=0',
        '--download-result=hide',
        `${endpoint}/${bigKey}`,
      ],
      env: baseEnv,
      check: checkFile('aria2c'),
      clean: true,
    },
    {
      id: 'rclone',
      name: 'rclone copyto, s3 backend, 4 streams (MD5 checked)',
      argv: [
        'rclone',
        '--config',
        rcloneConfig,
        'copyto',
        '--s3-list-version',
        '1',
        '--multi-thread-streams',
        '4',
        rcloneRemote(endpoint, bigKey),
        file,
      ],
      env: baseEnv,
      check: checkFile('rclone'),
      clean: true,
    },
    {
      id: 'rclone-nosum',
      name: 'rclone copyto, the same with --ignore-checksum (transfer only)',
      argv: [
        'rclone',
        '--config',
        rcloneConfig,
        'copyto',
        '--s3-list-version',
        '1',
        '--multi-thread-streams',
        '4',
        '--ignore-checksum',
        rcloneRemote(endpoint, bigKey),
        file,
      ],
      env: baseEnv,
      check: checkFile('rclone --ignore-checksum'),
      clean: true,
    },
    sdk('sdk', 'official SDK downloadFile, defaults (1 MiB × 5)', {}),
    sdk('sdk20', 'official SDK downloadFile, 20 MiB × 5', { chunkSize: 20 * MiB, parallel: 5 }),
    {
      id: 'floor',
      name: 'undici floor: request(), 20 MiB × 8, no CRC',
      argv: [
        process.execPath,
        join(repo, 'bench/lib/undici-floor.mjs'),
        JSON.stringify({
          url: `${endpoint}/${bigKey}`,
          size: big.size,
          file,
          partSize: 20 * MiB,
          concurrency: 8,
        }),
      ],
      env: baseEnv,
      check: checkFile('undici floor'),
      clean: true,
    },
  ];
  const samples = await rounds(
    'download',
    tools.map((tool) => [tool]),
    nginxServer(nginx),
  );
  tables.push({
    endpoint,
    table: {
      id: 'download',
      title: `One ${SIZE_MIB} MiB object from nginx on 127.0.0.1`,
      refs: [
        { id: 'curl', label: 'curl' },
        { id: 'sdk20', label: 'SDK 20 MiB × 5' },
      ],
      rows: tools.map((tool) => ({ tool })),
      samples,
      serverName: 'nginx',
      bytes: big.size,
      notes: [
        'aria2c fsyncs the file inside its own time; cos-download (no fsync by default, `--fsync` for power-loss durability), curl, rclone and the SDK leave the flush to the kernel (the `sync after` column, not in the wall time). ' +
          'aria2c preallocates with fallocate (its default `--file-allocation=prealloc` on ext4). rclone checks the MD5 of what it wrote against the ETag (reading the file back; `--ignore-checksum` shows its transfer alone); the SDK and aria2c check nothing; curl checks the length.',
      ],
    },
  });
}

// --- Benchmark 2: many small objects, first run and unchanged re-run.

if (selected('mirror') && nginx !== undefined) {
  const endpoint = nginx.url;
  const corpus = join(root, PREFIX);
  const into = (name: string): string => join(out, name);
  const tree =
    (name: string, tool: string): Tool['check'] =>
    () =>
      sameTree(into(name), corpus, smallKeys, SMALL, tool);
  const cosFirst = cosDownload(
    'cos-first',
    'cos-download --prefix, empty folder',
    endpoint,
    ['--prefix', PREFIX, '--destination', into('cos'), '--json'],
    (stdout, counts) => {
      cosJson(stdout, OBJECTS, 0, 'cos-download');
      tree('cos', 'cos-download')(stdout, counts);
    },
    false,
  );
  const cosRerun = cosDownload(
    'cos-rerun',
    'cos-download --prefix, unchanged re-run',
    endpoint,
    ['--prefix', PREFIX, '--destination', into('cos'), '--json'],
    (stdout, counts) => {
      cosJson(stdout, 0, OBJECTS, 'cos-download re-run');
      if (counts.get !== 0)
        process.stderr.write(`bench: TARGET MISSED: the re-run made ${counts.get} object GETs (must be 0)\n`);
    },
  );
  const rclone = (id: string, name: string, clean: boolean): Tool => ({
    id,
    name,
    argv: [
      'rclone',
      '--config',
      rcloneConfig,
      'copy',
      '--s3-list-version',
      '1',
      rcloneRemote(endpoint, PREFIX),
      into('rclone'),
    ],
    env: baseEnv,
    check: tree('rclone', name),
    clean,
  });
  const sdk: Tool = {
    id: 'sdk',
    name: 'official SDK: getBucket + downloadFile × 5',
    argv: [
      process.execPath,
      join(repo, 'bench/lib/mirror-sdk.mjs'),
      JSON.stringify({
        endpoint,
        bucket: BUCKET,
        region: REGION,
        prefix: `${PREFIX}/`,
        destination: into('sdk'),
        parallel: 5,
      }),
    ],
    env: signedEnv,
    check: tree('sdk', 'the SDK pattern'),
    clean: true,
  };
  const floor: Tool = {
    id: 'floor',
    name: `Node floor: list + undici request() × ${SMALL_IN_FLIGHT}, temp file, mtime, rename; no CRC, no manifest, no checks`,
    argv: [
      process.execPath,
      join(repo, 'bench/lib/mirror-floor.mjs'),
      JSON.stringify({
        endpoint,
        prefix: `${PREFIX}/`,
        destination: into('floor'),
        concurrency: SMALL_IN_FLIGHT,
      }),
    ],
    env: baseEnv,
    check: tree('floor', 'the Node floor'),
    clean: true,
  };
  const rcloneFirst = rclone(
    'rclone-first',
    'rclone copy (defaults: --checkers 8 --transfers 4), empty folder',
    false,
  );
  const rcloneRerun = rclone('rclone-rerun', 'rclone copy, unchanged re-run', true);
  const samples = await rounds(
    'mirror',
    [
      [cosFirst, cosRerun],
      [...baseline(cosFirst), ...baseline(cosRerun)],
      [rcloneFirst, rcloneRerun],
      [sdk],
      [floor],
    ].filter((group) => group.length > 0),
    nginxServer(nginx),
  );
  tables.push({
    endpoint,
    table: {
      id: 'mirror',
      title: `Prefix mirror: ${OBJECTS} × ${SMALL / KiB} KiB objects in ${FOLDERS} folders, nginx on 127.0.0.1`,
      refs: [
        { id: 'rclone-first', label: 'rclone (first run)' },
        { id: 'rclone-rerun', label: 'rclone re-run' },
        { id: 'sdk', label: 'SDK' },
      ],
      rows: [
        sdk,
        rcloneFirst,
        cosFirst,
        ...baseline(cosFirst),
        floor,
        rcloneRerun,
        cosRerun,
        ...baseline(cosRerun),
      ].map((tool) => ({ tool })),
      samples,
      serverName: 'nginx',
      notes: [
        'Compare a first run with the first-run columns (rclone, SDK) and a re-run with the re-run column. ' +
          'No tool fsyncs here (cos-download only with `--fsync`); `sync after` is what each left for the kernel to flush. ' +
          'rclone lists folder by folder (delimiter `/`) and checks each file’s MD5 against its ETag; on the re-run it compares size and modification time, which on the s3 backend costs one HEAD per object (the HEAD column). GET counts object GETs only; list counts listing pages.',
      ],
    },
  });
}

// --- Profiles: one cos-download run of each kind, from lib/ (the same sources, unbundled: files are named).

async function profiled(name: string, args: readonly string[], server: Server): Promise<void> {
  const libCli = join(tree, 'lib/cli/bin.js');
  const dir = join(work, `profile-${name}`);
  const argv = [
    '--cpu-prof',
    '--cpu-prof-dir',
    dir,
    existsSync(libCli) ? libCli : cli,
    '--bucket',
    BUCKET,
    ...args,
  ];
  const tool: Tool = {
    id: `profile-${name}`,
    name: `profile: ${name}`,
    argv: [process.execPath, ...argv],
    env: baseEnv,
    check: () => {},
    clean: true,
  };
  await measure(tool, server);
  const file = readdirSync(dir).find((entry) => entry.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`bench: no .cpuprofile in ${dir}`);
  const summary = summariseProfile(readFileSync(join(dir, file), 'utf8'), tree, 25);
  mkdirSync(join(repo, '.bench'), { recursive: true });
  const kept = join(repo, '.bench', `neutral-${name}.cpuprofile`);
  cpSync(join(dir, file), kept);
  profiles[name] = {
    command: shown([process.execPath, ...argv], nginx?.url ?? ''),
    cpuprofile: relative(repo, kept),
    ...summary,
  };
  profileText.push(
    `### CPU profile: ${name} (${existsSync(libCli) ? 'lib/, the same sources unbundled' : 'dist/'})\n\n` +
      `\`${shown([process.execPath, ...argv], nginx?.url ?? '')}\`\n\n${summary.markdown}`,
  );
}

if (PROFILE && nginx !== undefined) {
  const server = nginxServer(nginx);
  if (selected('download')) {
    await profiled(
      'download',
      ['--endpoint', nginx.url, '--key', bigKey, '--destination', join(out, 'download.bin')],
      server,
    );
  }
  if (selected('mirror')) {
    await profiled(
      'mirror',
      ['--endpoint', nginx.url, '--prefix', PREFIX, '--destination', join(out, 'cos')],
      server,
    );
  }
}

const nginxPeakKiB = nginx?.peakRssKiB();
nginx?.stop();

// --- Benchmark 3: latency, through the emulator's fault (nginx cannot delay a static answer).

if (selected('latency')) {
  const latencyRoot = join(work, 'latency-root');
  const keys: string[] = [];
  for (let i = 0; i < LATENCY_OBJECTS; i++) {
    const key = `${PREFIX}/${folderName(i)}/f${String(i).padStart(5, '0')}.bin`;
    writeObject(latencyRoot, key, SMALL);
    keys.push(key);
  }
  const emulator = track(
    fork(
      join(repo, 'bench/lib/mirror-emulator.ts'),
      [
        JSON.stringify({
          root: latencyRoot,
          bucket: BUCKET,
          region: REGION,
          secretId: SECRET_ID,
          secretKey: SECRET_KEY,
          faults: { latencyMs: LATENCY_MS },
        }),
      ],
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
  const message = <T>(type: string, send?: unknown): Promise<T> =>
    new Promise((done, fail) => {
      const finish = (): void => {
        clearTimeout(timer);
        emulator.off('message', onMessage);
        emulator.off('exit', onExit);
      };
      const timer = setTimeout(() => {
        finish();
        fail(new Error(`bench: the emulator did not answer '${type}' in 5 minutes`));
      }, 300_000);
      const onMessage = (m: { type?: string }): void => {
        if (m.type !== type) return;
        finish();
        done(m as T);
      };
      const onExit = (code: number | null): void => {
        finish();
        fail(new Error(`bench: the emulator exited (${code})`));
      };
      emulator.on('message', onMessage);
      emulator.once('exit', onExit);
      if (send !== undefined) emulator.send(send as object);
    });
  const ready = await message<{ url: string }>('ready');
  const endpoint = ready.url;
  const ticks = (): number => {
    const stat = readFileSync(`/proc/${emulator.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  };
  const server: Server = {
    cpuSeconds: ticks,
    begin: async () => {
      await message('reset', { cmd: 'reset' });
    },
    end: async () => {
      const { counts } = await message<{ counts: MirrorEmulatorCounts }>('stats', { cmd: 'stats' });
      return { get: counts.get, head: counts.head, list: counts.list, errors: counts.errors };
    },
  };
  const corpus = join(latencyRoot, PREFIX);
  const cos = cosDownload(
    'cos',
    'cos-download --prefix, empty folder',
    endpoint,
    ['--prefix', PREFIX, '--destination', join(out, 'cos'), '--json'],
    (stdout) => {
      cosJson(stdout, LATENCY_OBJECTS, 0, 'cos-download');
      sameTree(join(out, 'cos'), corpus, keys, SMALL, 'cos-download');
    },
  );
  const sdk: Tool = {
    id: 'sdk',
    name: 'official SDK: getBucket + downloadFile × 5',
    argv: [
      process.execPath,
      join(repo, 'bench/lib/mirror-sdk.mjs'),
      JSON.stringify({
        endpoint,
        bucket: BUCKET,
        region: REGION,
        prefix: `${PREFIX}/`,
        destination: join(out, 'sdk'),
        parallel: 5,
      }),
    ],
    env: signedEnv,
    check: () => sameTree(join(out, 'sdk'), corpus, keys, SMALL, 'the SDK pattern'),
    clean: true,
  };
  const samples = await rounds(
    'latency',
    [[cos], baseline(cos), [sdk]].filter((group) => group.length > 0),
    server,
  );
  killGroup(emulator, 'SIGTERM');
  tables.push({
    endpoint,
    table: {
      id: 'latency',
      title: `${LATENCY_OBJECTS} × ${SMALL / KiB} KiB objects, ${LATENCY_MS} ms before every answer (our emulator's latency fault)`,
      refs: [{ id: 'sdk', label: 'SDK' }],
      rows: [sdk, cos, ...baseline(cos)].map((tool) => ({ tool })),
      samples,
      serverName: 'emulator',
      notes: [
        'nginx serves static files with no delay, so this one runs on the COS emulator (from src/, public-read: cos-download reads anonymously, the SDK signs and is verified). ' +
          `With ${LATENCY_MS} ms per request, requests in flight set the pace: the SDK pattern makes 2 requests a file (HEAD + GET) 5 at a time, ` +
          `so it cannot beat ${(((LATENCY_OBJECTS / 5) * 2 * LATENCY_MS) / 1000).toFixed(2)} s; cos-download makes 1 GET a file, ${SMALL_IN_FLIGHT} at a time by default here ` +
          `(\`concurrency: auto\` on ${availableParallelism()} cores), so ${(((LATENCY_OBJECTS / SMALL_IN_FLIGHT) * LATENCY_MS) / 1000).toFixed(2)} s + the listing is its floor.`,
      ],
    },
  });
}

// --- Output.

const sdkVersion = (
  JSON.parse(readFileSync(join(repo, 'node_modules/cos-nodejs-sdk-v5/package.json'), 'utf8')) as {
    version: string;
  }
).version;
const firstLine = (argv: string[]): string =>
  (spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' }).stdout ?? '').split('\n')[0]?.trim() ??
  '?';
const versions = {
  node: process.version,
  nginx: nginx?.version ?? 'not run',
  curl: firstLine(['curl', '--version']).split(' ').slice(0, 2).join(' '),
  aria2c: firstLine(['aria2c', '--version']),
  rclone: firstLine(['rclone', 'version']),
  sdk: `cos-nodejs-sdk-v5 ${sdkVersion}`,
  cosDownload: `dist/ at ${commit}`,
};
const machine = `${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${spawnSync('df', ['--output=fstype', work], { encoding: 'utf8' }).stdout.trim().split('\n').at(-1) ?? '?'} temp folder`;
const loadAfter = loadavg();
const header =
  `${machine}; ${Object.values(versions).join(', ')}; load average ${loadBefore[0]?.toFixed(2)} before, ${loadAfter[0]?.toFixed(2)} after` +
  `${nginxPeakKiB === undefined ? '' : `; nginx peak RSS ${(nginxPeakKiB / 1024).toFixed(0)} MiB`}.`;
process.stdout.write(
  `\n${header}\n\n${[...tables.map(({ table, endpoint }) => markdown(table, endpoint)), ...profileText].join('\n\n')}\n`,
);

mkdirSync(join(repo, '.bench'), { recursive: true });
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
const jsonFile = join(repo, '.bench', `neutral-${stamp}.json`);
writeFileSync(
  jsonFile,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      machine,
      versions,
      load: { before: loadBefore, after: loadAfter },
      settings: {
        RUNS,
        WARMUP,
        SIZE_MIB,
        OBJECTS,
        SIZE_KIB: SMALL / KiB,
        FOLDERS,
        LATENCY_OBJECTS,
        LATENCY_MS,
      },
      benchmarks: tables.map(({ table, endpoint }) => ({
        id: table.id,
        title: table.title,
        server: table.serverName,
        tools: table.rows.map(({ tool }) => ({
          id: tool.id,
          name: tool.name,
          command: shown(tool.argv, endpoint),
          samples: table.samples.get(tool.id) ?? [],
        })),
        markdown: markdown(table, endpoint),
      })),
      profiles,
    },
    null,
    2,
  )}\n`,
);
// biome.json covers every folder, .bench/ too: write the file the way `npm run check` wants it.
const biome = join(repo, 'node_modules/.bin/biome');
if (existsSync(biome)) spawnSync(biome, ['format', '--write', jsonFile], { stdio: 'ignore' });
process.stderr.write(`bench: results in ${relative(repo, jsonFile)}\n`);
cleanUp();
