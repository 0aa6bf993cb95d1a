// The demo: start the bundled COS emulator with sample objects, then download one object whole,
// a byte range of it, and an older version of another, printing the outputs of each.
// Uses the committed dist/ bundle, exactly what users run.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const cli = path.resolve(import.meta.dirname, '../dist/cli/index.js');
const emulator = spawn(process.execPath, [cli, 'emulator', '--demo', '--port', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let banner = '';
const endpoint = await new Promise((resolve, reject) => {
  emulator.stdout.on('data', (chunk) => {
    banner += chunk;
    const match = /https?:\/\/127\.0\.0\.1:\d+/.exec(banner);
    if (match && /versioned\.txt: .*first is (\S+)/.test(banner)) resolve(match[0]);
  });
  emulator.on('exit', (code) => reject(new Error(`the emulator exited (${code}) before it was ready`)));
});

const work = mkdtempSync(path.join(tmpdir(), 'cos-download-demo-'));
const common = ['--bucket', 'examplebucket-1250000000', '--endpoint', endpoint, '--json'];
let failed = false;

function step(title, args) {
  console.log(`\n$ cos-download ${args.join(' ')}`);
  const run = spawnSync(process.execPath, [cli, ...common, ...args], { encoding: 'utf8', cwd: work });
  if (run.stderr) process.stderr.write(run.stderr);
  console.log(`# ${title} (exit ${run.status})`);
  console.log(run.stdout.trim());
  if (run.status !== 0) failed = true;
  return run.stdout;
}

try {
  console.log(`COS emulator at ${endpoint}; downloading into ${work}`);
  step('a whole object, CRC64 verified', ['--key', 'hello.txt', '--destination', 'hello.txt']);
  console.log(`  content: ${JSON.stringify(readFileSync(path.join(work, 'hello.txt'), 'utf8'))}`);
  step('a byte range of a 3 MiB object, in 1 MiB parts', [
    '--key',
    'data/random-3MiB.bin',
    '--range',
    'bytes=1000-1999999',
    '--part-size',
    '1MiB',
    '--destination',
    'range.bin',
  ]);
  step('the whole 3 MiB object in parallel 1 MiB parts', [
    '--key',
    'data/random-3MiB.bin',
    '--part-size',
    '1MiB',
    '--destination',
    'big.bin',
  ]);
  const versions = spawnSync(
    process.execPath,
    [cli, ...common, '--key', 'versioned.txt', '--destination', 'latest.txt'],
    {
      encoding: 'utf8',
      cwd: work,
    },
  );
  const latest = JSON.parse(versions.stdout);
  console.log(`\n# the latest version of versioned.txt is ${latest['version-id']}`);
  step('an older version, by version-id', [
    '--key',
    'versioned.txt',
    '--version-id',
    /versioned\.txt: .*first is (\S+)/.exec(banner)[1],
    '--destination',
    'older.txt',
  ]);
  console.log(`  content: ${JSON.stringify(readFileSync(path.join(work, 'older.txt'), 'utf8'))}`);
  step('a conditional GET that is not modified', [
    '--key',
    'hello.txt',
    '--if-none-match',
    latestEtag(work),
    '--destination',
    'hello2.txt',
  ]);
} finally {
  emulator.kill('SIGTERM');
}
process.exitCode = failed ? 1 : 0;

function latestEtag(folder) {
  const run = spawnSync(
    process.execPath,
    [cli, ...common, '--key', 'hello.txt', '--destination', 'hello.txt', '--overwrite', 'always'],
    {
      encoding: 'utf8',
      cwd: folder,
    },
  );
  return JSON.parse(run.stdout).etag;
}
