// Failures of the local disk at the destination, made real rather than mocked: a full disk is a 4 MiB
// tmpfs, a read-only folder is a 0555 folder written by a user who is not root (or a read-only bind
// mount), and a folder path through a file is just that. Mounts live in a private mount namespace
// held open by a child (`unshare`; a user namespace when not root), reached through
// /proc/<pid>/root, so nothing is mounted on the host and the mount dies with the child.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeCore } from '../__fixtures__/core.js';
import { run } from '../src/action/main.js';
import { main } from '../src/cli/main.js';
import { readCheckpoint } from '../src/transfer/checkpoint.js';
import { objectState } from '../src/transfer/state.js';
import { listFolder, removeFolder, SECRET_ID, SECRET_KEY, tempFolder } from './helpers/env.js';
import { objectStateFiles } from './helpers/state-files.js';
import { useEmulator } from './helpers/use-emulator.js';

const MiB = 1024 * 1024;
const PART = 512 * 1024;
const body = randomBytes(3 * MiB);
const isRoot = process.getuid?.() === 0;
const children = new Set<ChildProcess>();

/** A child holding a private mount namespace: `view(p)` is where this process sees the child's `p`. */
interface PrivateMount {
  view(p: string): string;
}

/** Runs `commands` (mounts) in a new mount namespace kept alive by a sleeping child; undefined if refused. */
async function privateMount(commands: string): Promise<PrivateMount | undefined> {
  const user = isRoot ? [] : ['--user', '--map-root-user'];
  let child: ChildProcess;
  try {
    child = spawn(
      'unshare',
      [
        ...user,
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        `${commands} && echo ready && exec sleep 120`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
  } catch {
    return undefined;
  }
  children.add(child);
  const ready = await new Promise<boolean>((resolve) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(true);
    });
    child.on('error', () => resolve(false));
    child.on('exit', () => resolve(false));
  });
  const pid = child.pid;
  if (!ready || pid === undefined) return undefined;
  return { view: (p) => `/proc/${pid}/root${p}` };
}

async function probeMounts(): Promise<boolean> {
  const folder = await tempFolder();
  try {
    const ns = await privateMount(`mount -t tmpfs -o size=1m cos-download-probe '${folder}'`);
    return ns !== undefined && (await statfs(ns.view(folder))).blocks * 4096 <= 2 * MiB;
  } catch {
    return false;
  } finally {
    for (const child of children) child.kill('SIGKILL');
    children.clear();
    await removeFolder(folder);
  }
}

const canMount = process.platform === 'linux' && (await probeMounts());

const ctx = useEmulator();

beforeAll(() => {
  ctx.emulator.put('big.bin', body);
  ctx.emulator.put('data/a.txt', 'a');
  ctx.emulator.put('data/sub/b.txt', 'b');
});
afterEach(async () => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  await chmod(ctx.work, 0o700).catch(() => {});
  for (const entry of await readdir(ctx.work).catch(() => [])) {
    await chmod(path.join(ctx.work, entry), 0o755).catch(() => {});
  }
});

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The CLI in-process, as `bin.ts` runs it, with credentials from the environment. */
async function cli(args: readonly string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(
    ['--bucket', ctx.emulator.bucket, '--endpoint', ctx.emulator.url, '--retries', '1', ...args],
    {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: { TENCENTCLOUD_SECRET_ID: SECRET_ID, TENCENTCLOUD_SECRET_KEY: SECRET_KEY },
      cwd: ctx.work,
    },
  );
  return { code, stdout, stderr };
}

/** The last line of stderr is the failure: one line, `cos-download: …`, matching `pattern`; no stack. */
function expectClearFailure(result: CliRun, pattern: RegExp): void {
  expect(result.code).toBe(1);
  const last = result.stderr.trimEnd().split('\n').at(-1) ?? '';
  expect(last).toMatch(/^cos-download: /);
  expect(last).toMatch(pattern);
  expect(last).toMatch(/Fix: /);
  expect(result.stderr).not.toMatch(/\n\s+at |Error:/);
}

const bigArgs = (destination: string, partSize = '512KiB') => [
  '--key',
  'big.bin',
  '--destination',
  destination,
  '--part-size',
  partSize,
  '--concurrency',
  '1',
];

describe('a full disk at the destination', () => {
  it.skipIf(!canMount)(
    'fails in one line naming ENOSPC and the path, writes nothing at the destination, keeps its parts; the re-run resumes',
    async () => {
      const disk = path.join(ctx.work, 'disk');
      await mkdir(disk);
      const ns = (await privateMount(
        `mount -t tmpfs -o size=4m cos-download-test '${disk}'`,
      )) as PrivateMount;
      const folder = ns.view(disk);
      const info = await statfs(folder);
      expect(info.blocks * info.bsize).toBe(4 * MiB);
      // 2 MiB free for a 3 MiB object: some parts land, then the disk is full.
      await writeFile(path.join(folder, 'filler'), Buffer.alloc(2 * MiB));
      const destination = path.join(folder, 'big.bin');

      const first = await cli(bigArgs(destination));
      expectClearFailure(
        first,
        new RegExp(
          `No space left on the device holding '${escapeRegExp(destination)}' \\(ENOSPC; the disk mounted at '${escapeRegExp(folder)}' has [0-9.]+ MiB free of 4\\.0 MiB\\)`,
        ),
      );
      expect(first.stderr).toMatch(/Kept \d of 6 finished parts of 'big.bin' .*run again to resume/);
      // No destination file, no half-written checkpoint: only the temp file and its checkpoint.
      expect(await listFolder(folder)).toEqual(['.cos-download', 'filler']);
      expect(await objectStateFiles(destination)).toEqual(['checkpoint', 'temp']);
      const saved = await readCheckpoint(objectState(destination).checkpoint);
      const kept = saved === undefined || saved === 'corrupt' ? 0 : saved.parts.size;
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(6);

      await rm(path.join(folder, 'filler'));
      ctx.emulator.stats.reset();
      const second = await cli(bigArgs(destination));
      expect(second.code).toBe(0);
      expect(second.stderr).toContain(`Resuming 'big.bin': ${kept} of 6 parts are already downloaded`);
      expect(Buffer.compare(await readFile(destination), body)).toBe(0);
      expect(await listFolder(folder)).toEqual(['big.bin']);
      expect(ctx.emulator.stats.bytesServed).toBe(body.length - kept * PART);
    },
  );

  it.skipIf(!canMount)(
    'a disk that fills before any checkpoint is written: no parts claimed as kept, the temp file removed',
    async () => {
      const disk = path.join(ctx.work, 'disk');
      await mkdir(disk);
      const ns = (await privateMount(
        `mount -t tmpfs -o size=4m cos-download-test '${disk}'`,
      )) as PrivateMount;
      const folder = ns.view(disk);
      // Room for the lock and exactly one part: the first part lands and fills the disk, so its
      // checkpoint cannot be written, and nothing could resume the part.
      const { bavail, bsize } = await statfs(folder);
      await writeFile(path.join(folder, 'filler'), Buffer.alloc(bavail * bsize - PART - 4096));
      const destination = path.join(folder, 'big.bin');
      const result = await cli(bigArgs(destination));
      expectClearFailure(
        result,
        /No space left on the device holding '.*big\.bin' \(ENOSPC; the disk mounted at /,
      );
      expect(result.stderr).not.toMatch(/Kept \d+ of/);
      expect(result.stderr).toMatch(
        /No checkpoint of 'big\.bin' could be written, so its 1 finished part\(s\) were not kept/,
      );
      expect(await listFolder(folder)).toEqual(['filler']);
    },
  );

  it.skipIf(!canMount)('a one-part download on a full disk leaves no file behind at all', async () => {
    const disk = path.join(ctx.work, 'disk');
    await mkdir(disk);
    const ns = (await privateMount(`mount -t tmpfs -o size=2m cos-download-test '${disk}'`)) as PrivateMount;
    const folder = ns.view(disk);
    const destination = path.join(folder, 'big.bin');
    const result = await cli([...bigArgs(destination, '20MiB'), '--json']);
    expectClearFailure(
      result,
      /No space left on the device holding '.*big\.bin' \(ENOSPC; the disk mounted at /,
    );
    expect(JSON.parse(result.stdout)).toEqual({
      ok: false,
      'exit-code': 1,
      error: { kind: 'failure', message: expect.stringMatching(/ENOSPC/), code: 'ENOSPC' },
    });
    expect(await listFolder(folder)).toEqual([]);
  });
});

describe('a read-only destination folder', () => {
  // Root ignores a folder's mode, so as root the CLI runs as the user `nobody` (see cliAsNobody).
  it.skipIf(process.platform === 'win32')(
    'a 0555 folder: one line naming EACCES, the path and the fix; nothing written',
    async () => {
      const folder = path.join(ctx.work, 'readonly');
      await mkdir(folder);
      await writeFile(path.join(folder, 'keep.txt'), 'canary');
      await chmod(folder, 0o555);
      const destination = path.join(folder, 'big.bin');
      const result = isRoot ? await cliAsNobody(bigArgs(destination)) : await cli(bigArgs(destination));
      expectClearFailure(
        result,
        new RegExp(
          `Permission denied: cannot write '${escapeRegExp(destination)}' \\(EACCES\\)\\. ` +
            `Fix: make '${escapeRegExp(folder)}' writable by the user this runs as`,
        ),
      );
      expect(await listFolder(folder)).toEqual(['keep.txt']);
      expect(await readFile(path.join(folder, 'keep.txt'), 'utf8')).toBe('canary');
    },
  );

  it.skipIf(!canMount)('a read-only mount: one line naming EROFS and the path; nothing written', async () => {
    const folder = path.join(ctx.work, 'mounted');
    await mkdir(folder);
    await writeFile(path.join(folder, 'keep.txt'), 'canary');
    const ns = (await privateMount(
      `mount --bind '${folder}' '${folder}' && mount -o remount,bind,ro '${folder}'`,
    )) as PrivateMount;
    const destination = path.join(ns.view(folder), 'big.bin');
    const result = await cli(bigArgs(destination));
    expectClearFailure(
      result,
      new RegExp(`Cannot write '${escapeRegExp(destination)}': it is on a read-only file system \\(EROFS\\)`),
    );
    expect(await listFolder(folder)).toEqual(['keep.txt']);
  });

  it.skipIf(process.platform === 'win32')(
    'a mirror into a 0555 folder fails in one line and writes nothing',
    async () => {
      const folder = path.join(ctx.work, 'readonly');
      await mkdir(folder);
      await chmod(folder, 0o555);
      const args = ['--prefix', 'data/', '--destination', folder];
      const result = isRoot ? await cliAsNobody(args) : await cli(args);
      expectClearFailure(
        result,
        new RegExp(`Permission denied: cannot write '${escapeRegExp(folder)}/.*' \\(EACCES\\)`),
      );
      expect(await listFolder(folder)).toEqual([]);
    },
  );
});

describe('a destination whose parent is a file', () => {
  it.each([
    ['notes.txt/big.bin', 'the folder', 'EEXIST'],
    ['notes.txt/', 'the folder', 'EEXIST'],
    ['notes.txt/deeper/big.bin', 'deeper', 'ENOTDIR'],
  ])(
    '%s: one line naming the file in the way and the fix; the file survives',
    async (destination, _, code) => {
      await writeFile(path.join(ctx.work, 'notes.txt'), 'canary');
      const result = await cli(bigArgs(destination));
      const file = path.join(ctx.work, 'notes.txt');
      expectClearFailure(
        result,
        new RegExp(`\\(${code}\\)\\. Fix: remove or rename the file '${escapeRegExp(file)}'`),
      );
      expect(result.stderr).toMatch(
        code === 'EEXIST'
          ? `Cannot create the folder '${file}': a file has that name`
          : `Cannot create '${path.join(file, 'deeper')}': '${file}' is a file, not a folder`,
      );
      expect(await listFolder(ctx.work)).toEqual(['notes.txt']);
      expect(await readFile(file, 'utf8')).toBe('canary');
      expect(ctx.emulator.stats.count('get')).toBe(0);
    },
  );

  it('the action fails in one line and sets no output', async () => {
    await writeFile(path.join(ctx.work, 'notes.txt'), 'canary');
    const core = fakeCore({
      bucket: ctx.emulator.bucket,
      endpoint: ctx.emulator.url,
      key: 'big.bin',
      destination: 'notes.txt/big.bin',
      'secret-id': SECRET_ID,
      'secret-key': SECRET_KEY,
    });
    await run({ core, env: { GITHUB_WORKSPACE: ctx.work } });
    expect(core.failed).toBe(
      `Cannot create the folder '${path.join(ctx.work, 'notes.txt')}': a file has that name (EEXIST). ` +
        `Fix: remove or rename the file '${path.join(ctx.work, 'notes.txt')}', or choose another destination`,
    );
    expect(core.outputs).toEqual({});
    expect(await listFolder(ctx.work)).toEqual(['notes.txt']);
  });

  it('a mirror whose destination runs through a file fails in one line', async () => {
    await writeFile(path.join(ctx.work, 'notes.txt'), 'canary');
    const result = await cli(['--prefix', 'data/', '--destination', 'notes.txt/mirror']);
    expectClearFailure(
      result,
      new RegExp(
        `Cannot create '${escapeRegExp(path.join(ctx.work, 'notes.txt', 'mirror'))}'.*a file, not a folder`,
      ),
    );
    expect(await listFolder(ctx.work)).toEqual(['notes.txt']);
  });

  it('a mirror whose destination is a file fails in one line naming it (EEXIST), the file kept', async () => {
    await writeFile(path.join(ctx.work, 'notes.txt'), 'canary');
    const result = await cli(['--prefix', 'data/', '--destination', 'notes.txt']);
    const file = path.join(ctx.work, 'notes.txt');
    expectClearFailure(
      result,
      new RegExp(
        `^cos-download: Cannot create the folder '${escapeRegExp(file)}': a file has that name \\(EEXIST\\)\\. ` +
          `Fix: remove or rename the file '${escapeRegExp(file)}', or choose another destination$`,
      ),
    );
    expect(await readFile(file, 'utf8')).toBe('canary');
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The CLI in-process with the effective user `nobody` (65534), for root, whom a folder's mode does not
 * stop. Vitest runs each test file in a process of its own, so only this file's process changes user,
 * and only for this call.
 */
async function cliAsNobody(args: readonly string[]): Promise<CliRun> {
  await chmod(ctx.work, 0o755);
  process.setegid?.(65534);
  process.seteuid?.(65534);
  try {
    return await cli(args);
  } finally {
    process.seteuid?.(0);
    process.setegid?.(0);
  }
}
