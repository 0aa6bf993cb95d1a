// Attacks on the trust promises, from a hostile review: a manifest, checkpoint, lock or cache entry
// planted by someone else, special files in the state folder, and text that would break a log line.
// Each test was first seen failing against the code it attacks, then the fix made it pass.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import {
  copyFile,
  link,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CacheStore } from '../src/cache/mirror-cache.js';
import { CosClient } from '../src/cos/client.js';
import { headObject } from '../src/cos/object.js';
import type { Emulator } from '../src/emulator/index.js';
import { identityOf, readCheckpoint, serializeCheckpoint } from '../src/transfer/checkpoint.js';
import { Crc64, formatCrc64 } from '../src/transfer/crc64.js';
import { manifestPath, mirrorLockPath, objectState, stateFolderOf } from '../src/transfer/state.js';
import {
  emulatorWithKeys,
  optionsFor,
  recordingLogger,
  removeFolder,
  run,
  runMirror,
  tempFolder,
} from './helpers/env.js';

const PART = 512 * 1024;
const big = randomBytes(3 * PART + 1234);
/** The mtime npm gives every file it unpacks (1985-10-26T08:15:00Z): known to anyone. */
const NPM_MTIME_MS = 499_162_500_000;

let emulator: Emulator;
let work: string;

beforeEach(async () => {
  emulator = await emulatorWithKeys();
  work = await tempFolder();
  emulator.put('site/index.html', '<h1>hi</h1>');
  emulator.put('site/big.bin', big);
});
afterEach(async () => {
  await emulator.close();
  await removeFolder(work);
});

const mirrorOptions = (raw: Record<string, string> = {}) =>
  optionsFor(emulator, work, { prefix: 'site/', destination: 'out', 'part-size': '512KiB', ...raw });
const out = (relative: string): string => path.join(work, 'out', relative);
const exists = (file: string): Promise<boolean> =>
  lstat(file).then(
    () => true,
    () => false,
  );

/** A manifest as a pull request could commit it at `out/.cos-download/manifest.json`. */
async function plantManifest(objects: readonly Record<string, unknown>[]): Promise<void> {
  await mkdir(stateFolderOf(out('')), { recursive: true });
  const head = { format: 'cos-download-manifest/2', bucket: emulator.bucket, prefix: 'site/' };
  await writeFile(manifestPath(out('')), JSON.stringify({ ...head, objects }));
}

/** A file outside the destination with a known size and mtime (e.g. unpacked by npm). */
async function precious(file: string, text = 'precious'): Promise<{ size: number; mtimeMs: number }> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  await utimes(file, NPM_MTIME_MS / 1000, NPM_MTIME_MS / 1000);
  const info = await stat(file);
  return { size: info.size, mtimeMs: info.mtimeMs };
}

describe('delete: a planted manifest', () => {
  it('an entry whose path goes through a symlinked folder deletes a file OUTSIDE the destination', async () => {
    const outside = path.join(work, 'outside');
    const victim = path.join(outside, 'victim.txt');
    const known = await precious(victim);
    await mkdir(out(''), { recursive: true });
    // Committed by a pull request: a symlink and a manifest.
    await symlink(outside, out('sub'));
    await plantManifest([
      {
        key: 'site/gone.txt',
        etag: '"0"',
        size: known.size,
        path: 'sub/victim.txt',
        'local-size': known.size,
        'local-mtime-ms': known.mtimeMs,
        written: true,
      },
    ]);
    await runMirror(mirrorOptions({ delete: 'true' }));
    expect(await readFile(victim, 'utf8')).toBe('precious');
  });

  it('an entry naming a file the tool never wrote (size and mtime are public) deletes it', async () => {
    // node_modules unpacked by npm: every mtime is 1985-10-26T08:15:00Z, every size is in the tarball.
    const known = await precious(out('node_modules/left-pad/index.js'), 'module.exports = pad;');
    await plantManifest([
      {
        key: 'site/node_modules/left-pad/index.js',
        etag: '"0"',
        size: known.size,
        path: 'node_modules/left-pad/index.js',
        'local-size': known.size,
        'local-mtime-ms': known.mtimeMs,
        written: true,
      },
    ]);
    const result = await runMirror(mirrorOptions({ delete: 'true' }));
    expect(result.deleted).toBe(0);
    expect(await exists(out('node_modules/left-pad/index.js'))).toBe(true);
  });

  it("an entry whose path leaves the destination ('../x') fails the whole mirror instead of being ignored", async () => {
    await plantManifest([
      {
        key: 'site/x',
        etag: '"0"',
        size: 1,
        path: '../x',
        'local-size': 1,
        'local-mtime-ms': 0,
        written: true,
      },
    ]);
    const result = await runMirror(mirrorOptions({ delete: 'true' }));
    expect(result.downloaded).toBe(2);
  });
});

/** An Actions cache that keeps each saved folder as files with their mtimes (as tar does) in memory. */
function snapshotCache(): CacheStore & {
  readonly entries: Map<string, Map<string, { bytes: Buffer; mtimeMs: number }>>;
} {
  const entries = new Map<string, Map<string, { bytes: Buffer; mtimeMs: number }>>();
  return {
    entries,
    async save(paths, key) {
      const root = paths[0] as string;
      const files = new Map<string, { bytes: Buffer; mtimeMs: number }>();
      for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const full = path.join(entry.parentPath, entry.name);
        files.set(path.relative(root, full), {
          bytes: await readFile(full),
          mtimeMs: (await stat(full)).mtimeMs,
        });
      }
      entries.set(key, files);
      return true;
    },
    async restore(paths, key, restoreKeys) {
      const root = paths[0] as string;
      const found = entries.has(key)
        ? key
        : [...entries.keys()].reverse().find((k) => restoreKeys.some((r) => k.startsWith(r)));
      if (found === undefined) return undefined;
      for (const [relative, file] of entries.get(found) ?? []) {
        const full = path.join(root, relative);
        await mkdir(path.dirname(full), { recursive: true });
        await writeFile(full, file.bytes);
        await utimes(full, file.mtimeMs / 1000, file.mtimeMs / 1000);
      }
      return found;
    },
  };
}

describe('the Actions cache restore', () => {
  it('pruneRestored follows a symlinked folder and deletes a file OUTSIDE the destination', async () => {
    const outside = path.join(work, 'outside');
    const victim = path.join(outside, 'victim.txt');
    await precious(victim);
    // An older cache entry (poisoned, or one whose manifest lists a file it does not hold) that
    // brings a symlink of its own: the destination was empty before the restore.
    const store: CacheStore = {
      async restore(_paths, _key, restoreKeys) {
        await mkdir(out(''), { recursive: true });
        await symlink(outside, out('sub'));
        await plantManifest([
          {
            key: 'site/sub/victim.txt',
            etag: '"0"',
            size: 8,
            path: 'sub/victim.txt',
            'local-size': 8,
            'local-mtime-ms': NPM_MTIME_MS,
            written: true,
          },
        ]);
        return `${restoreKeys[0]}older`;
      },
      save: async () => true,
    };
    const result = await (await import('../src/core/download.js')).download(
      mirrorOptions({ cache: 'true' }),
      {
        cache: store,
        clock: { now: () => Date.now(), sleep: async () => {} },
      },
    );
    expect(result.kind === 'prefix' && result.cache?.hit).toBe('partial');
    expect(await readFile(victim, 'utf8')).toBe('precious');
  });

  it("a user's file at a path an older cache entry holds is overwritten by the restore, then deleted by `delete`", async () => {
    const { download } = await import('../src/core/download.js');
    const instant = { now: () => Date.now(), sleep: async () => {} };
    const store = snapshotCache();
    emulator.put('site/config.json', '{"from":"bucket"}');
    // Run 1 (main branch): mirror and save.
    await download(mirrorOptions({ cache: 'true' }), { cache: store, clock: instant });
    // The key goes away; the repository now commits its own out/config.json.
    emulator.remove('site/config.json');
    await rm(out(''), { recursive: true, force: true });
    await mkdir(out(''), { recursive: true });
    await writeFile(out('config.json'), '{"from":"the user"}');
    // Run 2, a fresh runner with the checkout: partial hit, delete.
    const result = await download(mirrorOptions({ cache: 'true', delete: 'true' }), {
      cache: store,
      clock: instant,
    });
    // The user's file was there before the restore, and cos-download did not write it: the cache is
    // not restored over it (nor saved with it), and `delete` leaves it.
    expect(result.kind === 'prefix' && result.cache?.hit).toBe('false');
    expect(result.kind === 'prefix' && result.cache?.saved).toBe(false);
    expect(await readFile(out('config.json'), 'utf8')).toBe('{"from":"the user"}');
  });
});

describe('the Actions cache save', () => {
  it("the cache entry holds the saving run's mirror.lock; a restore plants it, it outlives the run and blocks the next", async () => {
    const { download } = await import('../src/core/download.js');
    const instant = { now: () => Date.now(), sleep: async () => {} };
    const store = snapshotCache();
    await download(mirrorOptions({ cache: 'true' }), { cache: store, clock: instant });
    // Today the entry holds '.cos-download/mirror.lock' (the saving run's lock). On a fresh runner
    // (here the same host and pid, so the lock looks alive; on GitHub another host, so never stale)
    // the restore plants it over the lock this run holds; release leaves it, and the next run on this
    // folder waits, then fails.
    emulator.put('site/new.txt', 'new');
    await rm(out(''), { recursive: true, force: true });
    await download(mirrorOptions({ cache: 'true' }), { cache: store, clock: instant });
    await expect(runMirror(mirrorOptions(), { lockWaitMs: 100 })).resolves.toBeDefined();
    expect(await exists(mirrorLockPath(out('')))).toBe(false);
  });
});

/** Starts a multipart download and aborts it after two parts are checkpointed. */
async function interrupted(raw: Record<string, string> = {}): Promise<string> {
  const destination = path.join(work, 'big.bin');
  const options = optionsFor(emulator, work, {
    key: 'site/big.bin',
    'part-size': '512KiB',
    concurrency: '1',
    ...raw,
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
  const saved = await readCheckpoint(objectState(destination).checkpoint);
  if (saved === undefined || saved === 'corrupt') throw new Error('expected a checkpoint');
  expect(saved.parts.size).toBeGreaterThanOrEqual(1);
  return destination;
}

describe('resume', () => {
  it('a temp file extended past the object gives a final file with trailing junk, reported verified', async () => {
    const destination = await interrupted();
    const handle = await open(objectState(destination).temp, 'a');
    await handle.write(Buffer.from('trailing junk appended to the temp file'));
    await handle.close();
    const result = await run(optionsFor(emulator, work, { key: 'site/big.bin', 'part-size': '512KiB' }));
    expect(result.object.status === 'downloaded' && result.object.crcCheck).toBe('verified');
    expect((await stat(destination)).size).toBe(big.length);
  });

  it('a temp file that is a hard link to a file outside: the resume writes the missing parts INTO it', async () => {
    const destination = await interrupted();
    const temp = objectState(destination).temp;
    const outside = path.join(work, 'outside.bin');
    await copyFile(temp, outside);
    const before = await readFile(outside);
    await unlink(temp);
    await link(outside, temp);
    const result = await run(optionsFor(emulator, work, { key: 'site/big.bin', 'part-size': '512KiB' }));
    expect(result.object.status).toBe('downloaded');
    expect(Buffer.compare(await readFile(destination), big)).toBe(0);
    expect(Buffer.compare(await readFile(outside), before)).toBe(0);
  });

  it('a planted checkpoint + temp file (consistent CRCs of junk) become the file of a range download, exit 0', async () => {
    // Everything a pull request needs is public: the object's ETag, size and date (HEAD), the
    // hashed state names (sha256 of the file name). It commits .cos-download/<id>.json and <id>.part.
    const length = 3 * PART;
    const options = optionsFor(emulator, work, {
      key: 'site/big.bin',
      'part-size': '512KiB',
      range: `bytes=0-${length - 1}`,
    });
    const client = new CosClient(options.connection, {});
    const head = await headObject(client, 'site/big.bin', {}, {});
    await client.close();
    if (head.kind !== 'found') throw new Error('expected the object');
    const junk = Buffer.alloc(length, 0x41);
    const crcOf = (bytes: Buffer): string => {
      const crc = new Crc64();
      crc.update(bytes);
      return formatCrc64(crc.digest());
    };
    const parts = new Map([0, 1, 2].map((i) => [i, crcOf(junk.subarray(i * PART, (i + 1) * PART))]));
    const destination = path.join(work, 'big.bin');
    const state = objectState(destination);
    await mkdir(state.folder);
    await writeFile(state.temp, junk);
    await writeFile(
      state.checkpoint,
      serializeCheckpoint({
        ...identityOf(emulator.bucket, head.info, { first: 0, length }, PART),
        // The attacker cannot know the inode the checkout gives the temp file; any guess will do.
        tempIno: 1,
        parts,
        partial: new Map(),
      }),
    );
    const result = await run(options);
    expect(result.object.status).toBe('downloaded');
    expect(Buffer.compare(await readFile(destination), big.subarray(0, length))).toBe(0);
  });
});

describe('special files in the state folder', () => {
  it('a FIFO at the manifest path hangs the mirror forever (open blocks)', async () => {
    await mkdir(stateFolderOf(out('')), { recursive: true });
    const fifo = manifestPath(out(''));
    execFileSync('mkfifo', [fifo]);
    let settled = false;
    const mirror = runMirror(mirrorOptions()).then(
      () => (settled = true),
      () => (settled = true),
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(settled).toBe(true);
    } finally {
      // Unblock the reader so the worker can end: open the FIFO for writing, then close it.
      const writer = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => undefined);
      await writer?.close();
      await mirror;
    }
  });

  it('a folder planted in .cos-download/mirror/ fails every mirror after its downloads', async () => {
    await mkdir(path.join(stateFolderOf(out('')), 'mirror', 'junk'), { recursive: true });
    const result = await runMirror(mirrorOptions());
    expect(result.downloaded).toBe(2);
  });

  it('a folder planted at mirror.lock is taken over but left behind as mirror.lock.<nonce>.stale', async () => {
    await mkdir(mirrorLockPath(out('')), { recursive: true });
    const result = await runMirror(mirrorOptions());
    expect(result.downloaded).toBe(2);
    expect(await readdir(stateFolderOf(out('')))).toEqual(['manifest.json']);
  });
});

describe('log lines', () => {
  it('a local file name with a newline is logged raw in the "Kept … not write" info line (workflow-command injection)', async () => {
    await mkdir(out(''), { recursive: true });
    await writeFile(out('evil\n::error title=injected::from a file name'), 'x');
    const logger = recordingLogger();
    await runMirror(mirrorOptions({ delete: 'true' }), { logger });
    const kept = logger.lines.find((l) => l.includes('Kept 1 local file'));
    expect(kept).toBeDefined();
    expect(kept).not.toMatch(/\n/);
  });

  it('a planted lock file\'s host and date are logged raw in the "Waiting …" info line (workflow-command injection)', async () => {
    await mkdir(stateFolderOf(out('')), { recursive: true });
    await writeFile(
      mirrorLockPath(out('')),
      JSON.stringify({
        format: 'cos-download-lock/1',
        pid: 1,
        host: 'elsewhere\n::error title=injected::from a lock file',
        since: 'now\n::add-mask::secret',
        nonce: 'x',
      }),
    );
    const logger = recordingLogger();
    await expect(runMirror(mirrorOptions(), { logger, lockWaitMs: 300 })).rejects.toThrow(
      /Another cos-download run/,
    );
    const waiting = logger.lines.filter((l) => l.includes('Waiting up to'));
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).not.toMatch(/\n/);
  });

  it('a refused key with control characters is logged raw (terminal escapes, extra lines)', async () => {
    emulator.put('site/red\u001b[31m\n::error::boom', 'x');
    const logger = recordingLogger();
    const result = await runMirror(mirrorOptions(), { logger });
    expect(result.refused).toHaveLength(1);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this looks for
    expect(logger.lines.filter((l) => /[\u0000-\u001f]/.test(l))).toEqual([]);
  });
});
