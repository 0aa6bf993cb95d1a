// A hostile or careless workspace: planted links, keys named like the tool's own files, two runs on
// one path, tampered state, an empty prefix with `delete`, keys that cannot be files here. Each case
// asserts the right bytes are at the destination and nothing else was touched.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFile,
  link,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../src/base/runtime.js';
import { CosClient } from '../src/cos/client.js';
import { headObject } from '../src/cos/object.js';
import type { Emulator } from '../src/emulator/index.js';
import { readCheckpoint } from '../src/transfer/checkpoint.js';
import { acquireLock } from '../src/transfer/lock.js';
import {
  manifestPath,
  mirrorLockPath,
  nextManifestPath,
  objectState,
  staleManifestPath,
  stateFolderOf,
} from '../src/transfer/state.js';
import {
  emulatorWithKeys,
  optionsFor,
  recordingLogger,
  removeFolder,
  run,
  runMirror,
  SECRET_ID,
  SECRET_KEY,
  tempFolder,
} from './helpers/env.js';
import { filesUnder } from './helpers/mixed-prefix.js';

const PART = 512 * 1024;
const hooks = path.resolve(import.meta.dirname, 'helpers/ts-source.ts');
const cliSource = path.resolve(import.meta.dirname, '../src/cli/bin.ts');
const big = randomBytes(3 * PART + 1234);
const site: Record<string, Buffer | string> = {
  'site/index.html': '<h1>hi</h1>',
  'site/docs/a.md': '# a',
  'site/big.bin': big,
};

let emulator: Emulator;
let work: string;
const children = new Set<ChildProcess>();

beforeEach(async () => {
  emulator = await emulatorWithKeys();
  work = await tempFolder();
  for (const [key, body] of Object.entries(site)) emulator.put(key, body);
});
afterEach(async () => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  await emulator.close();
  await removeFolder(work);
});

const mirrorOptions = (raw: Record<string, string> = {}) =>
  optionsFor(emulator, work, { prefix: 'site/', destination: 'out', 'part-size': '512KiB', ...raw });
const out = (relative: string): string => path.join(work, 'out', relative);

/** The CLI from source, as a child process; resolves with its exit code, stdout and stderr. */
function cli(
  args: readonly string[],
  options: { closeStdout?: boolean; closeStderr?: boolean } = {},
): {
  child: ChildProcess;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  stderr: () => string;
} {
  const child = spawn(
    process.execPath,
    [
      '--import',
      hooks,
      cliSource,
      ...['--bucket', emulator.bucket, '--endpoint', emulator.url],
      ...(args.includes('--retries') ? [] : ['--retries', '1']),
      ...args,
    ],
    {
      cwd: work,
      env: {
        PATH: process.env.PATH ?? '',
        TENCENTCLOUD_SECRET_ID: SECRET_ID,
        TENCENTCLOUD_SECRET_KEY: SECRET_KEY,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  let stdout = '';
  let stderr = '';
  if (options.closeStdout) child.stdout?.destroy();
  else child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  if (options.closeStderr) child.stderr?.destroy();
  else child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('exit', (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
  return { child, done, stderr: () => stderr };
}

async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const exists = (file: string): Promise<boolean> =>
  lstat(file).then(
    () => true,
    () => false,
  );

describe('planted links are never followed', () => {
  it("links at the manifest and at every file a mirror writes it through: replaced or removed, the links' targets untouched", async () => {
    const outside = path.join(work, 'outside.txt');
    await writeFile(outside, 'precious');
    await mkdir(stateFolderOf(out('')), { recursive: true });
    const manifest = manifestPath(out(''));
    const planted = [
      manifest,
      `${manifest}.tmp`,
      nextManifestPath(out('')),
      `${nextManifestPath(out(''))}.tmp`,
      staleManifestPath(out('')),
      `${staleManifestPath(out(''))}.tmp`,
    ];
    for (const file of planted) await symlink(outside, file);
    const result = await runMirror(mirrorOptions());
    expect(result.downloaded).toBe(3);
    expect(await readFile(outside, 'utf8')).toBe('precious');
    expect((await lstat(manifest)).isFile()).toBe(true);
    for (const file of planted.slice(1)) expect(await exists(file), file).toBe(false);
  });

  it("links at a single object's temp file, checkpoint, checkpoint temp and lock: none is written through", async () => {
    const destination = path.join(work, 'big.bin');
    const state = objectState(destination);
    await mkdir(state.folder);
    const targets = ['temp', 'checkpoint', 'checkpoint-tmp', 'lock'].map((name) =>
      path.join(work, `${name}.txt`),
    );
    for (const file of targets) await writeFile(file, 'precious');
    const [temp, checkpoint, checkpointTmp, lock] = targets as [string, string, string, string];
    await symlink(temp, state.temp);
    await symlink(checkpoint, state.checkpoint);
    await symlink(checkpointTmp, `${state.checkpoint}.tmp`);
    await symlink(lock, state.lock);
    const result = await run(optionsFor(emulator, work, { key: 'site/big.bin', 'part-size': '512KiB' }));
    expect(result.object.status).toBe('downloaded');
    expect(Buffer.compare(await readFile(destination), big)).toBe(0);
    for (const file of targets) expect(await readFile(file, 'utf8')).toBe('precious');
    // The state folder is left empty, so it is removed.
    expect(await exists(state.folder)).toBe(false);
  });

  it('a state folder that is a link is refused in one line; nothing is written through it', async () => {
    const elsewhere = path.join(work, 'elsewhere');
    await mkdir(elsewhere);
    await mkdir(out(''), { recursive: true });
    await symlink(elsewhere, stateFolderOf(out('')));
    await expect(runMirror(mirrorOptions())).rejects.toThrow(
      /Refusing to use '.*\.cos-download' for cos-download's temp files, checkpoints and locks: it is a symbolic link\. Fix: remove it/,
    );
    expect(await readdir(elsewhere)).toEqual([]);
    expect(await readdir(out(''))).toEqual(['.cos-download']);
  });

  it('a link where a key needs a folder fails that object and writes nothing outside', async () => {
    const elsewhere = path.join(work, 'elsewhere');
    await mkdir(elsewhere);
    await mkdir(out(''), { recursive: true });
    await symlink(elsewhere, out('docs'));
    await expect(runMirror(mirrorOptions())).rejects.toThrow(/refusing to follow the symlink .*docs/);
    expect(await readdir(elsewhere)).toEqual([]);
  });
});

describe("remote keys named like the tool's own files", () => {
  it('are plain files, or refused when they name the state folder; neighbours and the manifest stay right', async () => {
    const tricky: Record<string, string> = {
      'site/big.bin.cos-download': 'twenty-four bytes of junk',
      'site/x.bin.cos-download.json': '{"format":"cos-download-checkpoint/1"}',
      'site/.cos-download-manifest.json': '{"format":"cos-download-manifest/1","objects":[]}',
      'site/.cos-download/manifest.json': '{"format":"cos-download-manifest/2","objects":[]}',
      'site/docs/.COS-DOWNLOAD/x': 'x',
    };
    for (const [key, body] of Object.entries(tricky)) emulator.put(key, body);
    const logger = recordingLogger();
    const result = await runMirror(mirrorOptions(), { logger });
    expect(result.refused.map((r) => r.key).sort()).toEqual([
      'site/.cos-download/manifest.json',
      'site/docs/.COS-DOWNLOAD/x',
    ]);
    expect(logger.lines.filter((l) => l.startsWith('warning: Skipping'))).toHaveLength(2);
    expect(Buffer.compare(await readFile(out('big.bin')), big)).toBe(0);
    for (const key of [
      'site/big.bin.cos-download',
      'site/x.bin.cos-download.json',
      'site/.cos-download-manifest.json',
    ]) {
      expect(await readFile(out(key.slice('site/'.length)), 'utf8')).toBe(tricky[key]);
    }
    const manifest = JSON.parse(await readFile(manifestPath(out('')), 'utf8')) as {
      format: string;
      objects: Array<{ key: string }>;
    };
    expect(manifest.format).toBe('cos-download-manifest/2');
    expect(manifest.objects.map((o) => o.key)).toContain('site/.cos-download-manifest.json');
    // The re-run trusts our manifest: nothing is fetched again.
    emulator.stats.reset();
    const again = await runMirror(mirrorOptions());
    expect(again.skipped).toBe(6);
    expect(emulator.stats.count('get')).toBe(0);
    expect(Buffer.compare(await readFile(out('big.bin')), big)).toBe(0);
  });
});

describe('two runs on one destination', () => {
  it('a second download of the same file waits for the first (saying so); the file is whole', async () => {
    // The first run freezes mid-download, holding its lock, until the second says it waits.
    emulator.setFaults({ stallAfterTotalBytes: PART });
    const destination = path.join(work, 'big.bin');
    const args = ['--key', 'site/big.bin', '--part-size', '512KiB', '--concurrency', '2'];
    const first = cli([...args, '--timeout', '1s', '--retries', '5']);
    await waitFor(() => exists(objectState(destination).lock), "the first run's lock");
    const second = cli(args);
    await waitFor(
      async () => /Waiting up to \d+ s for another cos-download run/.test(second.stderr()),
      'the wait',
    );
    emulator.clearFaults();
    const [a, b] = await Promise.all([first.done, second.done]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, JSON.stringify(b)).toBe(0);
    expect(b.stderr).toMatch(
      /Waiting up to \d+ s for another cos-download run \(pid \d+ on this machine, since /,
    );
    expect(Buffer.compare(await readFile(destination), big)).toBe(0);
    expect(await readdir(work)).toEqual(['big.bin']);
  });

  it('two mirrors into one folder: the second waits, both end right', async () => {
    emulator.setFaults({ latencyMs: 40 });
    const logger = recordingLogger();
    const [one, two] = await Promise.all([
      runMirror(mirrorOptions(), { clock: systemClock, logger }),
      runMirror(mirrorOptions(), { clock: systemClock, logger }),
    ]);
    expect(one.downloaded + one.skipped).toBe(3);
    expect(two.downloaded + two.skipped).toBe(3);
    expect(logger.lines.some((l) => /Waiting up to \d+ s for another cos-download run/.test(l))).toBe(true);
    expect(Buffer.compare(await readFile(out('big.bin')), big)).toBe(0);
    expect(await readFile(out('docs/a.md'), 'utf8')).toBe('# a');
  });

  it('a live holder past the wait: one clear line naming it and the lock', async () => {
    await mkdir(stateFolderOf(out('')), { recursive: true });
    const held = await acquireLock(mirrorLockPath(out('')), {
      what: 'a test',
      waitMs: 0,
      clock: systemClock,
      logger: recordingLogger(),
    });
    try {
      await expect(runMirror(mirrorOptions(), { clock: systemClock, lockWaitMs: 300 })).rejects.toThrow(
        new RegExp(
          `^Another cos-download run \\(pid ${process.pid} on this machine, since '[0-9T:.-]+Z'\\) is writing the folder '.*out'; waited 0\\.3 s\\. ` +
            "Fix: let it finish, then run again; if no such run exists, remove '.*mirror\\.lock'$",
        ),
      );
      expect(await exists(out('index.html'))).toBe(false);
    } finally {
      await held.release();
    }
  });

  it('a lock left by a run that died is taken over, saying so', async () => {
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.on('exit', resolve));
    await mkdir(stateFolderOf(out('')), { recursive: true });
    await writeFile(
      mirrorLockPath(out('')),
      JSON.stringify({
        format: 'cos-download-lock/1',
        pid: dead.pid,
        host: (await import('node:os')).hostname(),
        since: new Date().toISOString(),
        nonce: 'dead',
      }),
    );
    const logger = recordingLogger();
    const result = await runMirror(mirrorOptions(), { logger });
    expect(result.downloaded).toBe(3);
    expect(logger.lines.some((l) => l.includes(`left by pid ${dead.pid} on this machine`))).toBe(true);
    expect(await exists(mirrorLockPath(out('')))).toBe(false);
  });
});

describe('locks that cannot be checked', () => {
  const foreignLock = (ageMs: number) => async () => {
    await mkdir(stateFolderOf(out('')), { recursive: true });
    const lock = mirrorLockPath(out(''));
    await writeFile(
      lock,
      JSON.stringify({
        format: 'cos-download-lock/1',
        pid: 1,
        host: 'another-runner',
        since: 'x',
        nonce: 'n',
      }),
    );
    const then = new Date(Date.now() - ageMs);
    await utimes(lock, then, then);
  };

  it('a lock from another host that its holder stopped refreshing is taken over', async () => {
    await foreignLock(60_000)();
    const logger = recordingLogger();
    const result = await runMirror(mirrorOptions(), { logger, clock: systemClock });
    expect(result.downloaded).toBe(3);
    expect(logger.lines.some((l) => l.includes("left by pid 1 on host 'another-runner'"))).toBe(true);
  });

  it('a fresh lock from another host is waited for', async () => {
    await foreignLock(0)();
    await expect(runMirror(mirrorOptions(), { clock: systemClock, lockWaitMs: 200 })).rejects.toThrow(
      /^Another cos-download run \(pid 1 on host 'another-runner'/,
    );
  });

  it('a holder whose lock another run took stops', async () => {
    await mkdir(stateFolderOf(out('')), { recursive: true });
    const held = await acquireLock(mirrorLockPath(out('')), {
      what: 'the test folder',
      waitMs: 0,
      clock: systemClock,
      logger: recordingLogger(),
      heartbeatMs: 20,
    });
    await writeFile(mirrorLockPath(out('')), 'another run');
    await waitFor(async () => held.lost.aborted, 'the lost signal');
    expect(String(held.lost.reason)).toMatch(/The lock on the test folder was taken over by another run/);
    await held.release();
    expect(await readFile(mirrorLockPath(out('')), 'utf8')).toBe('another run');
  });
});

describe('destinations', () => {
  it('a relative destination a link leads outside the workspace is refused before any request', async () => {
    const elsewhere = await tempFolder();
    try {
      await symlink(elsewhere, path.join(work, 'assets'));
      const { parseOptions } = await import('../src/config/parse.js');
      const { isDirectory, realpathOf } = await import('../src/base/file-system.js');
      const parse = (destination: string) =>
        parseOptions(
          { bucket: emulator.bucket, endpoint: emulator.url, prefix: 'site/', destination },
          { cwd: work, env: {}, isDirectory, realpath: realpathOf },
        );
      expect(() => parse('assets/site')).toThrow(
        /^Input 'destination' = 'assets\/site': a link in the workspace leads it outside the workspace, to '.*'\. Fix: remove the link/,
      );
      // Given as an absolute path, it is the user's choice.
      expect(parse(path.join(elsewhere, 'site')).destination).toBe(path.join(elsewhere, 'site'));
      expect(parse('inside').destination).toBe(path.join(work, 'inside'));
    } finally {
      await removeFolder(elsewhere);
    }
  });

  it('a destination through .cos-download is refused', () => {
    expect(() =>
      optionsFor(emulator, work, { key: 'site/index.html', destination: '.cos-download/index.html' }),
    ).toThrow(/^Input 'destination' = '\.cos-download\/index\.html': it runs through '\.cos-download'/);
    expect(() => optionsFor(emulator, work, { key: 'site/.cos-download' })).toThrow(
      /^Input 'destination' = '\.': it runs through '\.cos-download'/,
    );
  });
});

describe('delete removes only what it wrote', () => {
  it('a prefix that lists nothing fails, naming it, and deletes nothing (the default destination is the workspace)', async () => {
    await mkdir(path.join(work, '.git'));
    await writeFile(path.join(work, '.git', 'config'), '[core]');
    await writeFile(path.join(work, 'main.c'), 'int main;');
    const options = optionsFor(emulator, work, { prefix: 'sit/', delete: 'true' });
    await expect(runMirror(options)).rejects.toThrow(
      /^The prefix 'sit\/' lists no objects in bucket '.*', so nothing was downloaded or deleted\. Fix: check the prefix .* allow-empty: true/,
    );
    expect(await filesUnder(work)).toEqual(['.git/config', 'main.c']);
    // allow-empty: success with 0 files, and still nothing deleted.
    const empty = await runMirror(
      optionsFor(emulator, work, { prefix: 'sit/', delete: 'true', 'allow-empty': 'true' }),
    );
    expect(empty).toMatchObject({ downloaded: 0, skipped: 0, deleted: 0 });
    expect((await filesUnder(work)).filter((f) => !f.startsWith('.cos-download/'))).toEqual([
      '.git/config',
      'main.c',
    ]);
  });

  it('a stale file it wrote goes, with the folders that leaves empty; files it did not write, or that changed, stay', async () => {
    for (const key of [
      'site/gone.txt',
      'site/old/deep/gone.txt',
      'site/shared/gone.txt',
      'site/edited.txt',
    ]) {
      emulator.put(key, `content of ${key}`);
    }
    await runMirror(mirrorOptions());
    await writeFile(out('mine.txt'), 'mine');
    await writeFile(out('shared/mine.txt'), 'mine too');
    await writeFile(out('edited.txt'), 'edited locally');
    for (const key of [
      'site/gone.txt',
      'site/old/deep/gone.txt',
      'site/shared/gone.txt',
      'site/edited.txt',
    ]) {
      emulator.remove(key);
    }
    const logger = recordingLogger();
    const result = await runMirror(mirrorOptions({ delete: 'true' }), { logger });
    expect(result.deleted).toBe(3);
    expect(result.kept).toEqual({ notOurs: 2, changed: 1 });
    expect((await filesUnder(out(''))).filter((f) => !f.startsWith('.cos-download/'))).toEqual([
      'big.bin',
      'docs/a.md',
      'edited.txt',
      'index.html',
      'mine.txt',
      'shared/mine.txt',
    ]);
    expect(await exists(out('old'))).toBe(false);
    expect(
      logger.lines.some((l) =>
        /Kept 2 local file\(s\) .* did not write .* and 1 it wrote that changed since/.test(l),
      ),
    ).toBe(true);
  });

  it('a file the mirror found already right (not written by it) is never deleted', async () => {
    emulator.put('site/found.txt', 'same bytes');
    await mkdir(out(''), { recursive: true });
    await writeFile(out('found.txt'), 'same bytes');
    const first = await runMirror(mirrorOptions());
    expect(first.files.find((f) => f.key === 'site/found.txt')?.reason).toBe('unchanged (content)');
    emulator.remove('site/found.txt');
    const result = await runMirror(mirrorOptions({ delete: 'true' }));
    expect(result.deleted).toBe(0);
    expect(await readFile(out('found.txt'), 'utf8')).toBe('same bytes');
  });
});

describe('resume trusts the disk, not the checkpoint', () => {
  it('a byte changed inside a finished part of the temp file is caught; that part is fetched again', async () => {
    const destination = path.join(work, 'big.bin');
    const options = optionsFor(emulator, work, {
      key: 'site/big.bin',
      'part-size': '512KiB',
      concurrency: '1',
    });
    const controller = new AbortController();
    let seen = 0;
    await expect(
      run(options, {
        signal: controller.signal,
        onBytes: (n) => {
          seen += n;
          if (seen >= 2 * PART + 100) controller.abort(new Error('stop'));
        },
      }),
    ).rejects.toThrow();
    const state = objectState(destination);
    const saved = await readCheckpoint(state.checkpoint);
    if (saved === undefined || saved === 'corrupt') throw new Error('expected a checkpoint');
    expect(saved.parts.has(1)).toBe(true);
    // Same size, one byte different, inside part 1.
    const handle = await open(state.temp, 'r+');
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, PART + 77);
    await handle.write(Buffer.of((byte[0] as number) ^ 0xff), 0, 1, PART + 77);
    await handle.close();
    emulator.stats.reset();
    const logger = recordingLogger();
    const result = await run(options, { logger });
    expect(result.object.status).toBe('downloaded');
    expect(result.object.status === 'downloaded' && result.object.crcCheck).toBe('verified');
    expect(Buffer.compare(await readFile(destination), big)).toBe(0);
    expect(
      logger.lines.some((l) => /1 more did not match their checkpoint on disk and are fetched again/.test(l)),
    ).toBe(true);
    // Part 1 again, and what never reached the file (the first bytes of a part in flight did).
    let started = 0;
    for (const start of saved.partial.values()) started += start.bytes;
    expect(emulator.stats.bytesServed).toBe(big.length - (saved.parts.size - 1) * PART - started);
  });
});

describe('resume never writes through a planted temp file', () => {
  /** Stops a multipart download part-way, leaving its temp file and checkpoint. */
  async function interrupted(destination: string) {
    const options = optionsFor(emulator, work, {
      key: 'site/big.bin',
      'part-size': '512KiB',
      concurrency: '1',
    });
    const controller = new AbortController();
    let seen = 0;
    await expect(
      run(options, {
        signal: controller.signal,
        onBytes: (n) => {
          seen += n;
          if (seen >= 2 * PART) controller.abort(new Error('stop'));
        },
      }),
    ).rejects.toThrow();
    expect(await readCheckpoint(objectState(destination).checkpoint)).not.toBe(undefined);
    return options;
  }

  it('a hard link to a file elsewhere in place of the temp file: the other file is untouched', async () => {
    const destination = path.join(work, 'big.bin');
    const options = await interrupted(destination);
    const state = objectState(destination);
    const outside = path.join(work, 'outside.bin');
    // Same size and the same bytes as the temp file, so every check on content would pass.
    await writeFile(outside, await readFile(state.temp));
    const before = await readFile(outside);
    await rm(state.temp);
    await link(outside, state.temp);
    const logger = recordingLogger();
    const result = await run(options, { logger });
    expect(result.object.status).toBe('downloaded');
    expect(Buffer.compare(await readFile(destination), big)).toBe(0);
    expect(Buffer.compare(await readFile(outside), before)).toBe(0);
    expect(
      logger.lines.some((l) => /Starting 'site\/big\.bin' over: .*not a plain file of its own/.test(l)),
    ).toBe(true);
  });

  it('a temp file made longer than the object: started over, the file has exactly the object', async () => {
    const destination = path.join(work, 'big.bin');
    const options = await interrupted(destination);
    await appendFile(objectState(destination).temp, 'trailing junk');
    const logger = recordingLogger();
    await run(options, { logger });
    expect(Buffer.compare(await readFile(destination), big)).toBe(0);
    expect(logger.lines.some((l) => /the temp file is longer/.test(l))).toBe(true);
  });
});

describe('a malformed listing', () => {
  it('a key listed twice refuses the listing, naming the key; nothing is downloaded or deleted', async () => {
    await runMirror(mirrorOptions());
    emulator.put('site/new.txt', 'new');
    emulator.setFaults({ repeatListedKeys: true });
    await expect(runMirror(mirrorOptions({ delete: 'true' }))).rejects.toThrow(
      /^Listing 'site\/' failed: ListObjects 'site\/' lists 'site\/big\.bin' twice; COS never repeats a key/,
    );
    expect(await exists(out('new.txt'))).toBe(false);
    expect(Buffer.compare(await readFile(out('big.bin')), big)).toBe(0);
  });
});

describe('keys that cannot be a file here', () => {
  it('a file and a folder of the same name: the later key is refused with a warning, the rest mirrors, delete still runs', async () => {
    emulator.put('site/stale.txt', 'stale');
    await runMirror(mirrorOptions());
    emulator.remove('site/stale.txt');
    emulator.put('site/tool', 'a file');
    emulator.put('site/tool/readme', 'needs tool/ as a folder');
    const logger = recordingLogger();
    const result = await runMirror(mirrorOptions({ delete: 'true' }), { logger });
    expect(result.refused).toEqual([
      { key: 'site/tool/readme', reason: "'tool' is the file of key 'site/tool', so it cannot be a folder" },
    ]);
    expect(await readFile(out('tool'), 'utf8')).toBe('a file');
    expect(result.deleted).toBe(1);
    expect(await exists(out('stale.txt'))).toBe(false);
  });

  it('a local file in the way of a folder, and a path too long for the file system: refused, the rest mirrors', async () => {
    await mkdir(out(''), { recursive: true });
    await writeFile(out('docs'), 'a local file named like the folder');
    const long = `site/${Array.from({ length: 17 }, (_, i) => `${String(i).padStart(2, '0')}${'x'.repeat(248)}`).join('/')}/f.txt`;
    emulator.put(long, 'deep');
    const result = await runMirror(mirrorOptions());
    expect(result.refused.map((r) => r.key).sort()).toEqual([long, 'site/docs/a.md'].sort());
    expect(result.refused.find((r) => r.key === long)?.reason).toBe(
      'its path is too long for this file system',
    );
    expect(await readFile(out('docs'), 'utf8')).toBe('a local file named like the folder');
    expect(Buffer.compare(await readFile(out('big.bin')), big)).toBe(0);
  });
});

describe('a closed stdout or stderr', () => {
  it.each([
    ['stdout', { closeStdout: true }],
    ['stderr', { closeStderr: true }],
  ] as const)('closed %s: the run ends quietly with its normal exit code', async (_name, closed) => {
    const ok = cli(['--key', 'site/index.html', '--json'], closed);
    const okRun = await ok.done;
    expect(okRun.code).toBe(0);
    expect(okRun.stderr + okRun.stdout).not.toMatch(/EPIPE|\n\s+at /);
    expect(await readFile(path.join(work, 'index.html'), 'utf8')).toBe('<h1>hi</h1>');
    const failing = cli(['--key', 'site/missing', '--json'], closed);
    expect((await failing.done).code).toBe(1);
  });
});

describe('Retry-After', () => {
  const sleepsOf = async (retryAfter: string, timeout = '60s'): Promise<number[]> => {
    const options = optionsFor(emulator, work, { key: 'site/index.html', timeout });
    const sleeps: number[] = [];
    const client = new CosClient(options.connection, {
      clock: { now: () => Date.now(), sleep: async (ms) => void sleeps.push(ms) },
    });
    emulator.setFaults({ failNext: [{ status: 503, code: 'SlowDown', retryAfter }] });
    try {
      await headObject(client, 'site/index.html', {}, {});
    } finally {
      await client.close();
    }
    return sleeps;
  };

  it('seconds: the retry waits as long as asked', async () => {
    expect(await sleepsOf('3')).toEqual([3000]);
  });

  it('an HTTP date: the retry waits until then', async () => {
    const sleeps = await sleepsOf(new Date(Date.now() + 4000).toUTCString());
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThan(2000);
    expect(sleeps[0]).toBeLessThanOrEqual(4000);
  });

  it('longer than the timeout: not retried, said in one line', async () => {
    await expect(sleepsOf('120', '10s')).rejects.toThrow(
      /503 .*; the server asked to retry in 120 s, longer than the timeout of 10 s, so it was not retried\. Fix: /,
    );
  });
});

describe('hygiene', () => {
  it('a finished mirror leaves only its manifest in the state folder; a finished download leaves none', async () => {
    await runMirror(mirrorOptions());
    expect(await readdir(stateFolderOf(out('')))).toEqual(['manifest.json']);
    const result = await run(optionsFor(emulator, work, { key: 'site/big.bin', 'part-size': '512KiB' }));
    expect(result.object.status).toBe('downloaded');
    expect((await readdir(work)).sort()).toEqual(['big.bin', 'out']);
  });
});
