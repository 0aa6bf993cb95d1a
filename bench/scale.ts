// Scale: a prefix of many keys mirrored by the bundled CLI (dist/), then mirrored again with nothing
// changed. Peak RSS of the cos-download process shows whether memory grows with the number of keys.
// The emulator (bench/lib/mirror-emulator.ts, its own process) serves objects generated from their
// key, so a million keys cost it no memory; it counts the requests. Run from the repository root:
//
//   npm run build && npm run bench:scale            (10k, 100k and 1M keys of 1 KiB)
//
// Environment (integers parsed strictly):
//   BENCH_SCALE_KEYS   comma-separated key counts, default 10000,100000,1000000
//   BENCH_SCALE_SIZE   bytes of each object, default 1024
//   BENCH_TMP          parent folder of the temp folder (the mirror's destination), default os.tmpdir()
//   BENCH_RUN_LIMIT_S  a run taking longer is killed and the benchmark stops, default 3600
//
// Each count runs once (a first mirror, then the unchanged re-run), under `/usr/bin/time` for CPU
// and peak RSS; wall time is measured around the process. The destination is deleted, untimed,
// after each count. "bytes per extra key" is the growth of peak RSS from the smallest count, divided
// by the keys added.
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type * as Harness from './lib/harness.js';
import type { MirrorEmulatorCounts } from './lib/mirror-emulator.js';

const { benchFolder, envInt, run, track }: typeof Harness = await import(
  new URL('./lib/harness.ts', import.meta.url).href
);

const BUCKET = 'scalebucket-1250000000';
const REGION = 'ap-guangzhou';
const PREFIX = 'scale/';
const SIZE = envInt('BENCH_SCALE_SIZE', 1024, 1);
const RUN_LIMIT_MS = envInt('BENCH_RUN_LIMIT_S', 3600, 1) * 1000;
const COUNTS = (process.env.BENCH_SCALE_KEYS ?? '10000,100000,1000000').split(',').map((text) => {
  if (!/^\d+$/.test(text.trim())) throw new Error(`bench: BENCH_SCALE_KEYS holds '${text}', not a count`);
  return Number(text.trim());
});

const repo = resolve(import.meta.dirname, '..');
const cli = join(repo, 'dist/cli/index.js');
for (const file of [cli, '/usr/bin/time']) {
  if (!existsSync(file))
    throw new Error(`bench: ${file} is missing (run npm run build; apt-get install time)`);
}
const work = benchFolder('scale');
const timeFile = join(work, 'time.txt');

interface Emulator {
  readonly url: string;
  stats(): Promise<MirrorEmulatorCounts>;
  reset(): Promise<void>;
  stop(): void;
}

async function startEmulator(count: number): Promise<Emulator> {
  const child = track(
    fork(
      join(repo, 'bench/lib/mirror-emulator.ts'),
      [
        JSON.stringify({
          synthetic: { prefix: PREFIX, count, size: SIZE },
          bucket: BUCKET,
          region: REGION,
          secretId: 'AKIDscalebench00000001',
          secretKey: 'scale-benchmark-secret-key',
        }),
      ],
      {
        execArgv: [
          '--experimental-transform-types',
          '--no-warnings',
          '--import',
          './__tests__/helpers/ts-source.ts',
        ],
        cwd: repo,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    ),
  );
  const ask = <T>(cmd: string, type: string): Promise<T> =>
    new Promise((done) => {
      const listener = (message: { type?: string }) => {
        if (message.type !== type) return;
        child.off('message', listener);
        done(message as T);
      };
      child.on('message', listener);
      child.send({ cmd });
    });
  const ready = await new Promise<{ url: string }>((done, fail) => {
    child.once('message', (message: { type?: string; url: string }) => done(message));
    child.once('exit', (code) => fail(new Error(`bench: the emulator exited with ${code}`)));
  });
  return {
    url: ready.url,
    stats: async () => (await ask<{ counts: MirrorEmulatorCounts }>('stats', 'stats')).counts,
    reset: async () => {
      await ask('reset', 'reset');
    },
    stop: () => child.kill('SIGTERM'),
  };
}

interface Sample {
  readonly wall: number;
  readonly cpu: number;
  readonly rssMiB: number;
  readonly counts: MirrorEmulatorCounts;
  readonly downloaded: number;
  readonly skipped: number;
}

async function mirror(emulator: Emulator, destination: string, label: string): Promise<Sample> {
  await emulator.reset();
  const args = [
    '--bucket',
    BUCKET,
    '--endpoint',
    emulator.url,
    '--prefix',
    PREFIX,
    '--destination',
    destination,
  ];
  const started = performance.now();
  const result = await run(
    '/usr/bin/time',
    ['-f', '%e %U %S %M', '-o', timeFile, '--', process.execPath, cli, ...args, '--json'],
    {
      label,
      env: { PATH: process.env.PATH ?? '' },
      limitMs: RUN_LIMIT_MS,
      limitSetting: 'BENCH_RUN_LIMIT_S',
      cwd: work,
      stdoutTail: 1024 * 1024,
    },
  );
  const wall = (performance.now() - started) / 1000;
  if (result.code !== 0)
    throw new Error(`bench: ${label} exited with ${result.code}:\n${result.stderr.slice(-2000)}`);
  const [, user, system, maxRss] =
    readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)?.split(/\s+/).map(Number) ?? [];
  const out = JSON.parse(result.stdout) as {
    'files-downloaded': string | number;
    'files-skipped': string | number;
  };
  return {
    wall,
    cpu: (user ?? Number.NaN) + (system ?? Number.NaN),
    rssMiB: (maxRss ?? Number.NaN) / 1024,
    counts: await emulator.stats(),
    downloaded: Number(out['files-downloaded']),
    skipped: Number(out['files-skipped']),
  };
}

interface Row {
  readonly keys: number;
  readonly first: Sample;
  readonly rerun: Sample;
  readonly manifestMiB: number;
}

const rows: Row[] = [];
for (const keys of COUNTS) {
  const emulator = await startEmulator(keys);
  const destination = join(work, `out-${keys}`);
  try {
    process.stderr.write(`bench: ${keys} keys, first run…\n`);
    const first = await mirror(emulator, destination, `${keys} keys, first run`);
    if (first.downloaded !== keys)
      throw new Error(`bench: the first run downloaded ${first.downloaded} of ${keys}`);
    process.stderr.write(`bench: ${keys} keys, re-run…\n`);
    const rerun = await mirror(emulator, destination, `${keys} keys, re-run`);
    if (rerun.skipped !== keys || rerun.counts.get !== 0) {
      throw new Error(`bench: the re-run skipped ${rerun.skipped} of ${keys} with ${rerun.counts.get} GETs`);
    }
    const manifestMiB = statSync(join(destination, '.cos-download', 'manifest.json')).size / 1024 / 1024;
    rows.push({ keys, first, rerun, manifestMiB });
    process.stderr.write(
      `bench: ${keys} keys: first ${first.wall.toFixed(1)} s ${first.rssMiB.toFixed(0)} MiB, re-run ${rerun.wall.toFixed(2)} s ${rerun.rssMiB.toFixed(0)} MiB\n`,
    );
  } finally {
    emulator.stop();
    rmSync(destination, { recursive: true, force: true });
  }
}

const base = rows[0];
const perKey = (row: Row, sample: (r: Row) => Sample): string =>
  base === undefined || row === base
    ? '—'
    : String(Math.round(((sample(row).rssMiB - sample(base).rssMiB) * 1024 * 1024) / (row.keys - base.keys)));
const lines = [
  `Objects of ${SIZE} bytes under \`${PREFIX}\`, generated by the emulator from their keys; the bundled CLI, concurrency 8.`,
  '',
  '| keys | first run s | CPU s | peak RSS MiB | bytes per extra key | GETs | re-run s | re-run peak RSS MiB | bytes per extra key | re-run GETs / lists | manifest MiB |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (row) =>
      `| ${row.keys} | ${row.first.wall.toFixed(1)} | ${row.first.cpu.toFixed(1)} | ${row.first.rssMiB.toFixed(0)} | ${perKey(row, (r) => r.first)} | ${row.first.counts.get} | ${row.rerun.wall.toFixed(2)} | ${row.rerun.rssMiB.toFixed(0)} | ${perKey(row, (r) => r.rerun)} | ${row.rerun.counts.get} / ${row.rerun.counts.list} | ${row.manifestMiB.toFixed(1)} |`,
  ),
];
console.log(lines.join('\n'));
mkdirSync(join(repo, '.bench'), { recursive: true });
writeFileSync(
  join(repo, '.bench', `scale-${Date.now()}.json`),
  `${JSON.stringify({ size: SIZE, rows }, null, 2)}\n`,
);
