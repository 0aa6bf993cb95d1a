// The demo: start the bundled COS emulator with sample objects, then run the CLI the way a user
// would — one object, a byte range as JSON, an older version, a conditional GET, a mirror of the
// whole bucket and its re-run — printing each command so it can be pasted, and what it printed.
// Uses the committed dist/ bundle, exactly what users run; removes its temp folder at the end.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const cli = path.resolve(import.meta.dirname, '../dist/cli/index.js');
const BUCKET = 'examplebucket-1250000000';

const emulator = spawn(process.execPath, [cli, 'emulator', '--demo', '--port', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const stopped = new Promise((resolve) => emulator.once('exit', resolve));
let banner = '';
const ready = await new Promise((resolve, reject) => {
  emulator.stdout.on('data', (chunk) => {
    banner += chunk;
    const endpoint = /https?:\/\/127\.0\.0\.1:\d+/.exec(banner)?.[0];
    const first = /versioned\.txt: .*first is (\S+)/.exec(banner)?.[1];
    if (endpoint !== undefined && first !== undefined) resolve({ endpoint, first });
  });
  emulator.once('exit', (code) => reject(new Error(`the emulator exited (${code}) before it was ready`)));
});
const { endpoint, first } = ready;
const port = new URL(endpoint).port;

const work = mkdtempSync(path.join(tmpdir(), 'cos-download-demo-'));
const at = (name) => path.join(work, name);
let failed = false;

/** A word as the shell needs it. */
const shell = (word) => (/^[\w./:@%+=,-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`);

/** Runs the CLI as `npx cos-download …` would (the same bundle), printing the command and its output. */
function step(title, args, { json = false } = {}) {
  const argv = ['--endpoint', endpoint, '--bucket', BUCKET, ...args, ...(json ? ['--json'] : [])];
  console.log(`\n# ${title}`);
  console.log(`$ npx cos-download ${argv.map(shell).join(' ')}`);
  const run = spawnSync(process.execPath, [cli, ...argv], { encoding: 'utf8' });
  if (run.stderr) process.stdout.write(run.stderr);
  process.stdout.write(run.stdout);
  if (run.status !== 0) {
    console.log(`(exit ${run.status})`);
    failed = true;
  }
  return run.stdout;
}

try {
  console.log(`A local COS (the emulator, with sample objects) is at ${endpoint}; files go to ${work}.`);
  const one = step('One object; its CRC64 is checked as it streams in', [
    '--key',
    'hello.txt',
    '--destination',
    at('hello.txt'),
  ]);
  const etag = /^ {2}etag: (.+)$/m.exec(one)?.[1] ?? '';
  console.log(`  content: ${JSON.stringify(readFileSync(at('hello.txt'), 'utf8'))}`);
  const range = step(
    'A byte range of a 3 MiB object, in parallel 1 MiB parts, as JSON',
    [
      '--key',
      'data/random-3MiB.bin',
      '--range',
      'bytes=1000-1999999',
      '--part-size',
      '1MiB',
      '--destination',
      at('range.bin'),
    ],
    { json: true },
  );
  console.log(`  ${JSON.parse(range)['content-length']} bytes, as 'content-length' says`);
  step('An older version of a versioned object', [
    '--key',
    'versioned.txt',
    '--version-id',
    first,
    '--destination',
    at('older.txt'),
  ]);
  console.log(`  content: ${JSON.stringify(readFileSync(at('older.txt'), 'utf8'))}`);
  step('A conditional GET: the ETag still matches, so nothing is downloaded (304)', [
    '--key',
    'hello.txt',
    '--if-none-match',
    etag,
    '--destination',
    at('hello-again.txt'),
  ]);
  step('The whole bucket mirrored into a folder (the ARCHIVE object is left out, with a warning)', [
    '--prefix',
    '/',
    '--destination',
    at('mirror'),
  ]);
  step('The same mirror again: nothing changed, so nothing is downloaded (one listing request)', [
    '--prefix',
    '/',
    '--destination',
    at('mirror'),
  ]);
} finally {
  emulator.kill('SIGTERM');
  await stopped;
  rmSync(work, { recursive: true, force: true });
}
console.log(
  `\nDone; ${work} is removed and the emulator stopped. To paste the commands above, start it again ` +
    `(same port) in another terminal: npx cos-download emulator --demo --port ${port} ` +
    '(its banner gives the new version id of versioned.txt)',
);
process.exitCode = failed ? 1 : 0;
