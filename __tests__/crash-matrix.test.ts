// The crash matrix: the CLI (run from the TypeScript sources, so it is the code as it is now) is
// killed with SIGKILL at 10 points spread over (a) a multipart single-object download and (b) a
// mirror of small files and multipart objects; a re-run must end with byte-identical files, and
// the bytes served in all stay within the object's size plus concurrency × part size (what may be
// in flight, unrecorded, at the crash). SIGTERM (a cancelled job) must flush the checkpoint first.
// The emulator's byte budget freezes the child exactly at each point, so the points are exact.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { transferSettings } from '../src/core/download.js';
import { CosClient } from '../src/cos/client.js';
import { readCheckpoint } from '../src/transfer/checkpoint.js';
import { fetchObject } from '../src/transfer/fetch-object.js';
import { transferDeps } from '../src/transfer/settings.js';
import { manifestPath, mirrorFileState, objectState } from '../src/transfer/state.js';
import {
  listFolder,
  optionsFor,
  recordingLogger,
  run,
  runMirror,
  SECRET_ID,
  SECRET_KEY,
} from './helpers/env.js';
import {
  expectComplete,
  expectNothingHalfWritten,
  filesUnder,
  mixedPrefix,
  PART,
  putAll,
  seededBytes,
} from './helpers/mixed-prefix.js';
import { objectStateFiles } from './helpers/state-files.js';
import { useEmulator } from './helpers/use-emulator.js';

const CONCURRENCY = 2;
const KILL_POINTS = 10;
const OBJECT_KEY = 'single/big.bin';
const object = seededBytes(31, 12 * PART + 4321);
const tree = mixedPrefix('tree/', 41, 8, [3, 4, 2]);
const hooks = path.resolve(import.meta.dirname, 'helpers/ts-source.ts');
const cli = path.resolve(import.meta.dirname, '../src/cli/bin.ts');

const children = new Set<ChildProcess>();

interface Row {
  readonly target: string;
  readonly signal: 'SIGKILL' | 'SIGTERM';
  readonly killAt: number;
  readonly size: number;
  /** Parts the checkpoint(s) vouched for when the child was gone. */
  readonly checkpointed: number;
  /** Objects with a temp file left when the child was gone. */
  readonly interrupted: number;
  readonly rerun: number;
  /** What the test asserts: size + concurrency × part (+ one-part objects caught before their rename). */
  readonly bound: number;
}
const rows: Row[] = [];

const ctx = useEmulator();

beforeAll(() => {
  ctx.emulator.put(OBJECT_KEY, object);
  putAll(ctx.emulator, tree);
});
afterAll(() => {
  const percent = (r: Row): string => `${((100 * r.killAt) / r.size).toFixed(0)}%`;
  const table = [
    '| target | signal | kill point (bytes served) | parts checkpointed | objects interrupted | re-run served | total served | bound asserted | size + concurrency × part per interrupted object |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.target} | ${r.signal} | ${r.killAt} (${percent(r)}) | ${r.checkpointed} | ${r.interrupted} | ${r.rerun} | ${r.killAt + r.rerun} | ${r.bound} | ${r.size + Math.max(1, r.interrupted) * CONCURRENCY * PART} |`,
    ),
  ].join('\n');
  console.info(
    `Crash matrix: object ${object.length} bytes (${Math.ceil(object.length / PART)} parts); ` +
      `prefix ${tree.objects.size} objects, ${tree.totalBytes} bytes (${tree.parts} parts); ` +
      `part size ${PART}, concurrency ${CONCURRENCY}\n${table}`,
  );
});
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

interface Child {
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly stderr: () => string;
}

/** The CLI from source, in `work`, with the credentials in its environment. */
function startCli(args: readonly string[]): Child {
  const child = spawn(
    process.execPath,
    [
      '--import',
      hooks,
      cli,
      ...['--bucket', ctx.emulator.bucket, '--endpoint', ctx.emulator.url],
      ...['--part-size', '512KiB', '--concurrency', String(CONCURRENCY)],
      ...args,
    ],
    {
      cwd: ctx.work,
      env: {
        PATH: process.env.PATH ?? '',
        TENCENTCLOUD_SECRET_ID: SECRET_ID,
        TENCENTCLOUD_SECRET_KEY: SECRET_KEY,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  children.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  child.on('error', () => {});
  return { process: child, exited, stderr: () => stderr };
}

/**
 * Starts the CLI and sends it `signal` once `at` holds: a byte count (the emulator serves at most
 * that many body bytes, then stalls, so the child is frozen exactly there) or a condition polled on
 * the side. Returns the bytes served before the child was gone.
 */
async function interruptAt(
  args: readonly string[],
  at: number | { readonly until: () => Promise<boolean> },
  signal: NodeJS.Signals,
): Promise<number> {
  const reached = typeof at === 'number' ? async () => ctx.emulator.stats.bytesServed >= at : at.until;
  if (typeof at === 'number') ctx.emulator.setFaults({ stallAfterTotalBytes: at });
  else ctx.emulator.setFaults({ latencyMs: 30 });
  ctx.emulator.stats.reset();
  const child = startCli(args);
  let gone = false;
  void child.exited.then(() => {
    gone = true;
  });
  for (let i = 0; !(await reached()); i++) {
    if (gone || i > 4000) {
      throw new Error(
        `the CLI never got there (${ctx.emulator.stats.bytesServed} bytes served): ${child.stderr()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  child.process.kill(signal);
  const exit = await child.exited;
  if (signal === 'SIGKILL') expect(exit.signal).toBe('SIGKILL');
  else {
    // 128 + the signal's number, as a shell reports it: 130 for SIGINT, 143 for SIGTERM.
    expect(exit.code, child.stderr()).toBe(signal === 'SIGINT' ? 130 : 143);
    expect(child.stderr()).toMatch(signal === 'SIGINT' ? /interrupted \(Ctrl-C\)/ : /terminated \(SIGTERM\)/);
  }
  const served = ctx.emulator.stats.bytesServed;
  if (typeof at === 'number') expect(served).toBe(at);
  ctx.emulator.clearFaults();
  ctx.emulator.stats.reset();
  return served;
}

/** The checkpoint of a single object at `destination`, or of a mirrored file under `work/out`. */
function checkpoint(destination: string): string {
  const out = path.join(ctx.work, 'out');
  return destination.startsWith(`${out}${path.sep}`)
    ? mirrorFileState(out, path.relative(out, destination).split(path.sep).join('/')).checkpoint
    : objectState(destination).checkpoint;
}

/**
 * Finished parts the checkpoint beside `destination` vouches for, and the bytes it vouches for:
 * theirs and the first bytes of the parts that were in flight (0 when there is none yet).
 */
async function checkpointed(
  destination: string,
  size: number,
): Promise<{ parts: number; bytes: number; startBytes: number }> {
  const saved = await readCheckpoint(checkpoint(destination));
  expect(saved).not.toBe('corrupt');
  if (saved === undefined || saved === 'corrupt') return { parts: 0, bytes: 0, startBytes: 0 };
  let bytes = 0;
  for (const index of saved.parts.keys()) bytes += Math.min(PART, size - index * PART);
  let startBytes = 0;
  for (const start of saved.partial.values()) startBytes += start.bytes;
  return { parts: saved.parts.size, bytes: bytes + startBytes, startBytes };
}

/** 10 points at 5%, 15%, … 95% of `total` bytes. */
function killPoints(total: number): number[] {
  return Array.from({ length: KILL_POINTS }, (_, i) => Math.round((total * (2 * i + 1)) / (2 * KILL_POINTS)));
}

const objectDestination = (): string => path.join(ctx.work, 'big.bin');
const objectArgs = ['--key', OBJECT_KEY];
const objectBound = object.length + CONCURRENCY * PART;

async function rerunObject(): Promise<{ served: number; lines: string[] }> {
  const logger = recordingLogger();
  const result = await run(
    optionsFor(ctx.emulator, ctx.work, {
      key: OBJECT_KEY,
      'part-size': '512KiB',
      concurrency: String(CONCURRENCY),
    }),
    { logger },
  );
  expect(result.object.status).toBe('downloaded');
  expect(Buffer.compare(await readFile(objectDestination()), object)).toBe(0);
  expect(await listFolder(ctx.work)).toEqual(['big.bin']);
  return { served: ctx.emulator.stats.bytesServed, lines: logger.lines };
}

const treeArgs = ['--prefix', tree.prefix, '--destination', 'out'];

async function rerunTree(): Promise<number> {
  const result = await runMirror(
    optionsFor(ctx.emulator, ctx.work, {
      prefix: tree.prefix,
      destination: 'out',
      'part-size': '512KiB',
      concurrency: String(CONCURRENCY),
    }),
  );
  expect(result.downloaded + result.skipped).toBe(tree.objects.size);
  const skipped = new Set(result.files.filter((f) => f.action === 'skip').map((f) => f.key));
  await expectComplete(ctx.emulator, tree, path.join(ctx.work, 'out'), skipped);
  return ctx.emulator.stats.bytesServed;
}

/**
 * Objects the kill interrupted (a temp file left), and what a re-run may fetch again beyond the
 * parts in flight: a one-part object has no checkpoint, and its slot is free once its bytes are in,
 * before its rename, so the bytes of each one-part object caught between the two are fetched again.
 */
async function interrupted(): Promise<{ objects: number; onePartBytes: number }> {
  const left = new Set(await filesUnder(path.join(ctx.work, 'out')));
  let objects = 0;
  let onePartBytes = 0;
  for (const [key, body] of tree.objects) {
    const temp = mirrorFileState(path.join(ctx.work, 'out'), key.slice(tree.prefix.length)).temp;
    if (!left.has(path.relative(path.join(ctx.work, 'out'), temp).split(path.sep).join('/'))) continue;
    objects++;
    if (body.length <= PART) onePartBytes += body.length;
  }
  return { objects, onePartBytes };
}

/** Parts vouched for by every checkpoint under the mirror's destination. */
async function treeCheckpointedParts(): Promise<number> {
  let parts = 0;
  for (const [key, body] of tree.objects) {
    if (body.length <= PART) continue;
    parts += (await checkpointed(path.join(ctx.work, 'out', key.slice(tree.prefix.length)), body.length))
      .parts;
  }
  return parts;
}

describe('crash matrix: (a) one multipart object', () => {
  it.each(killPoints(object.length))('SIGKILL after %i bytes served, then a re-run', async (point) => {
    const killAt = await interruptAt(objectArgs, point, 'SIGKILL');
    expect(await listFolder(ctx.work)).toEqual(['.cos-download']);
    for (const role of await objectStateFiles(objectDestination())) {
      expect(role).toMatch(/^(temp|checkpoint|checkpoint\.tmp|lock|lock-draft)$/);
    }
    const saved = await checkpointed(objectDestination(), object.length);
    const { served, lines } = await rerunObject();
    if (saved.parts > 0) expect(lines.some((l) => l.includes(`Resuming '${OBJECT_KEY}'`))).toBe(true);
    expect(killAt + served).toBeLessThanOrEqual(objectBound);
    rows.push({
      target: 'object',
      signal: 'SIGKILL',
      killAt,
      size: object.length,
      checkpointed: saved.parts,
      interrupted: 1,
      rerun: served,
      bound: objectBound,
    });
  });

  it('SIGTERM (a cancelled job) flushes the checkpoint before exit; the re-run fetches only the rest', async () => {
    const killAt = await interruptAt(objectArgs, Math.round(object.length / 2), 'SIGTERM');
    expect(await listFolder(ctx.work)).toEqual(['.cos-download']);
    expect(await objectStateFiles(objectDestination())).toEqual(['checkpoint', 'temp']);
    const saved = await checkpointed(objectDestination(), object.length);
    // Every part that arrived whole is recorded, and how far each part in flight had come: only
    // bytes that never reached the file are fetched again.
    expect(saved.parts).toBeGreaterThan(0);
    expect(killAt - saved.bytes).toBeLessThanOrEqual(CONCURRENCY * PART);
    const { served, lines } = await rerunObject();
    const of = `${saved.parts} of ${Math.ceil(object.length / PART)} parts`;
    expect(lines.some((l) => l.includes(`Resuming '${OBJECT_KEY}': ${of}`))).toBe(true);
    expect(served).toBe(object.length - saved.bytes);
    expect(killAt + served).toBeLessThanOrEqual(objectBound);
    rows.push({
      target: 'object',
      signal: 'SIGTERM',
      killAt,
      size: object.length,
      checkpointed: saved.parts,
      interrupted: 1,
      rerun: served,
      bound: objectBound,
    });
  });
});

describe('crash matrix: (b) a mirror of small files and multipart objects', () => {
  it.each(killPoints(tree.totalBytes))('SIGKILL after %i bytes served, then a re-run', async (point) => {
    const killAt = await interruptAt(treeArgs, point, 'SIGKILL');
    await expectNothingHalfWritten(ctx.emulator, tree, path.join(ctx.work, 'out'), PART, {
      afterCrash: true,
    });
    const checkpointed = await treeCheckpointedParts();
    const { objects, onePartBytes } = await interrupted();
    const bound = tree.totalBytes + CONCURRENCY * PART + onePartBytes;
    const served = await rerunTree();
    expect(killAt + served).toBeLessThanOrEqual(bound);
    rows.push({
      target: 'mirror',
      signal: 'SIGKILL',
      killAt,
      size: tree.totalBytes,
      checkpointed,
      interrupted: objects,
      rerun: served,
      bound,
    });
  });

  it('SIGTERM (a cancelled job) keeps the finished parts; the re-run resumes them', async () => {
    // Cancel once some multipart object is part-way: its checkpoint vouches for a part, it is not done.
    const partWay = async (): Promise<boolean> => {
      for (const [key, body] of tree.objects) {
        const destination = path.join(ctx.work, 'out', key.slice(tree.prefix.length));
        if (
          body.length <= PART ||
          (await filesUnder(path.dirname(destination))).includes(path.basename(destination))
        )
          continue;
        const saved = await readCheckpoint(checkpoint(destination));
        if (saved !== undefined && saved !== 'corrupt' && saved.parts.size > 0) return true;
      }
      return false;
    };
    const killAt = await interruptAt(treeArgs, { until: partWay }, 'SIGTERM');
    // Every temp file left has a checkpoint beside it that vouches for parts, and one was left.
    const { kept } = await expectNothingHalfWritten(ctx.emulator, tree, path.join(ctx.work, 'out'), PART);
    expect(kept).toBeGreaterThan(0);
    const checkpointed = await treeCheckpointedParts();
    const { objects } = await interrupted();
    const bound = tree.totalBytes + CONCURRENCY * PART;
    const served = await rerunTree();
    expect(killAt + served).toBeLessThanOrEqual(bound);
    rows.push({
      target: 'mirror',
      signal: 'SIGTERM',
      killAt,
      size: tree.totalBytes,
      checkpointed,
      interrupted: objects,
      rerun: served,
      bound,
    });
  });
});

describe('a resume that needs no part', () => {
  it('still checks the CRC-64 of an object known from a listing (which states none) with a HEAD', async () => {
    const key = 'tree/big/multi-1.bin';
    const body = tree.objects.get(key) as Buffer;
    const latest = ctx.emulator.versions(key)[0];
    const options = optionsFor(ctx.emulator, ctx.work, { key, 'part-size': '512KiB' });
    const client = new CosClient(options.connection, {
      clock: { now: () => Date.now(), sleep: async () => {} },
    });
    const destination = path.join(ctx.work, 'multi-1.bin');
    const context = {
      client,
      settings: transferSettings(options),
      deps: transferDeps(),
      limit: pLimit(CONCURRENCY),
      folderReady: false,
    };
    const request = {
      key,
      responseOverrides: {},
      pinned: false,
      destination,
      state: objectState(destination),
    };
    // What a mirror knows from ListObjects: no CRC-64.
    const listed = {
      key,
      etag: latest?.etag ?? '',
      size: body.length,
      lastModified: latest?.lastModified.toISOString() ?? '',
      storageClass: 'STANDARD',
    };
    const window = { first: 0, length: body.length };
    try {
      // Every part lands, then the rename fails (a folder holds the destination): all parts are kept.
      await mkdir(destination);
      await writeFile(path.join(destination, 'in-the-way'), '');
      await expect(fetchObject(context, request, listed, window)).rejects.toThrow();
      expect((await checkpointed(destination, body.length)).parts).toBe(Math.ceil(body.length / PART));
      expect(await objectStateFiles(destination)).toEqual(['checkpoint', 'temp']);
      await rm(destination, { recursive: true });
      ctx.emulator.stats.reset();
      const result = await fetchObject(context, request, listed, window);
      expect(ctx.emulator.stats.count('get')).toBe(0);
      expect(result.status === 'downloaded' ? result.crcCheck : result.status).toBe('verified');
      expect(result.status === 'downloaded' ? result.info.crc64 : undefined).toBe(latest?.crc64);
      expect(Buffer.compare(await readFile(destination), body)).toBe(0);
    } finally {
      await client.close();
    }
  });
});

describe('a kill between the rename and the checkpoint removal', () => {
  it('leaves a checkpoint beside a complete file, which the re-run that finds the file unchanged removes', async () => {
    await rerunObject();
    await mkdir(objectState(objectDestination()).folder);
    await writeFile(checkpoint(objectDestination()), '{}');
    const again = await run(
      optionsFor(ctx.emulator, ctx.work, {
        key: OBJECT_KEY,
        'part-size': '512KiB',
        concurrency: String(CONCURRENCY),
      }),
    );
    expect(again.object.status).toBe('skipped');
    expect(await listFolder(ctx.work)).toEqual(['big.bin']);

    await rerunTree();
    await rm(manifestPath(path.join(ctx.work, 'out')));
    const stray = checkpoint(path.join(ctx.work, 'out', 'big/multi-0.bin'));
    await mkdir(path.dirname(stray), { recursive: true });
    await writeFile(stray, '{}');
    ctx.emulator.stats.reset();
    expect(await rerunTree()).toBe(0); // every file found unchanged; no stray checkpoint left
  });
});
