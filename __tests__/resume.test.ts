// Crash and resume: a download killed mid-way (kill -9 of a child process, SIGTERM, an abort) is
// finished by the next run, which fetches only the missing parts.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { open, readFile, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../src/transfer/checkpoint.js';
import { objectState } from '../src/transfer/state.js';
import { listFolder, optionsFor, recordingLogger, run, SECRET_ID, SECRET_KEY } from './helpers/env.js';
import { objectStateFiles } from './helpers/state-files.js';
import { useEmulator } from './helpers/use-emulator.js';

const PART = 512 * 1024;
const CONCURRENCY = 2;
const body = randomBytes(12 * PART + 1234);
const cli = path.resolve(import.meta.dirname, '../dist/cli/index.js');
const ctx = useEmulator();

beforeEach(() => {
  ctx.emulator.put('big.bin', body);
});

const raw = { key: 'big.bin', 'part-size': '512KiB', concurrency: String(CONCURRENCY) };
const destination = (): string => path.join(ctx.work, 'big.bin');

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Run deps that cancel the download once `bytes` have landed (a cancelled job, in process). */
function abortAfter(bytes: number): { signal: AbortSignal; onBytes: (n: number) => void } {
  const controller = new AbortController();
  let seen = 0;
  return {
    signal: controller.signal,
    onBytes: (n) => {
      seen += n;
      if (seen >= bytes) controller.abort(new Error('stop'));
    },
  };
}

async function waitForAsync(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function startChild(): ChildProcess {
  return spawn(
    process.execPath,
    [
      cli,
      ...['--bucket', ctx.emulator.bucket, '--endpoint', ctx.emulator.url, '--key', 'big.bin'],
      ...['--part-size', '512KiB', '--concurrency', String(CONCURRENCY)],
    ],
    {
      cwd: ctx.work,
      env: {
        PATH: process.env.PATH ?? '',
        TENCENTCLOUD_SECRET_ID: SECRET_ID,
        TENCENTCLOUD_SECRET_KEY: SECRET_KEY,
      },
      stdio: 'ignore',
    },
  ).on('error', () => {});
}

async function finishAndCheck(servedBefore: number): Promise<string[]> {
  const logger = recordingLogger();
  const result = await run(optionsFor(ctx.emulator, ctx.work, raw), { logger });
  expect(result.object.status).toBe('downloaded');
  expect(Buffer.compare(await readFile(destination()), body)).toBe(0);
  expect(await listFolder(ctx.work)).toEqual(['big.bin']);
  // Every byte is served at most once, but for the parts that were in flight at the crash.
  expect(servedBefore + ctx.emulator.stats.bytesServed).toBeGreaterThanOrEqual(body.length);
  return logger.lines;
}

describe('resume', () => {
  it('after kill -9 of the CLI, the re-run fetches only the missing parts', async () => {
    ctx.emulator.setFaults({ latencyMs: 60 });
    const child = startChild();
    const exited = new Promise((resolve) => child.on('exit', resolve));
    // Kill once a checkpoint vouches for some parts (the disk may be slow to flush on a busy machine).
    await waitForAsync(async () => {
      const saved = await readCheckpoint(objectState(destination()).checkpoint);
      return saved !== undefined && saved !== 'corrupt' && saved.parts.size >= 2;
    }, 'a checkpoint with 2 parts');
    child.kill('SIGKILL');
    await exited;
    expect(await listFolder(ctx.work)).toEqual(['.cos-download']);
    // The killed run's lock stays; the re-run takes it over.
    expect(await objectStateFiles(destination())).toEqual(['checkpoint', 'lock', 'temp']);
    const saved = await readCheckpoint(objectState(destination()).checkpoint);
    expect(saved === 'corrupt' || saved === undefined ? 0 : saved.parts.size).toBeGreaterThan(0);
    const servedBefore = ctx.emulator.stats.bytesServed;
    ctx.emulator.clearFaults();
    ctx.emulator.stats.reset();
    const lines = await finishAndCheck(servedBefore);
    expect(lines.some((l) => /Resuming 'big.bin': \d+ of 13 parts are already downloaded/.test(l))).toBe(
      true,
    );
    const total = servedBefore + ctx.emulator.stats.bytesServed;
    expect(total).toBeLessThanOrEqual(body.length + CONCURRENCY * PART);
    console.info(
      `kill -9 resume: ${total} bytes served for a ${body.length}-byte object (bound ${body.length + CONCURRENCY * PART})`,
    );
  });

  it('SIGTERM (a cancelled job) flushes the checkpoint before the CLI exits', async () => {
    ctx.emulator.setFaults({ latencyMs: 60 });
    const child = startChild();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor(() => ctx.emulator.stats.bytesServed >= 4 * PART, '4 parts served');
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    const saved = await readCheckpoint(objectState(destination()).checkpoint);
    expect(saved).not.toBe('corrupt');
    expect(saved === undefined || saved === 'corrupt' ? 0 : saved.parts.size).toBeGreaterThanOrEqual(1);
    await expect(stat(destination())).rejects.toThrow(/ENOENT/);
    const servedBefore = ctx.emulator.stats.bytesServed;
    ctx.emulator.clearFaults();
    ctx.emulator.stats.reset();
    await finishAndCheck(servedBefore);
    expect(servedBefore + ctx.emulator.stats.bytesServed).toBeLessThanOrEqual(
      body.length + CONCURRENCY * PART,
    );
  });

  it('an aborted download keeps its parts; the re-run resumes them', async () => {
    await expect(run(optionsFor(ctx.emulator, ctx.work, raw), abortAfter(6 * PART))).rejects.toThrow();
    await expect(stat(destination())).rejects.toThrow(/ENOENT/);
    const servedBefore = ctx.emulator.stats.bytesServed;
    ctx.emulator.stats.reset();
    const lines = await finishAndCheck(servedBefore);
    expect(lines.some((l) => /Resuming/.test(l))).toBe(true);
    expect(servedBefore + ctx.emulator.stats.bytesServed).toBeLessThanOrEqual(
      body.length + CONCURRENCY * PART,
    );
  });

  it('a resumed download tells its kept bytes once, in onStart; onBytes counts only what it fetches', async () => {
    await expect(run(optionsFor(ctx.emulator, ctx.work, raw), abortAfter(6 * PART))).rejects.toThrow();
    const saved = await readCheckpoint(objectState(destination()).checkpoint);
    const keptParts = saved === undefined || saved === 'corrupt' ? 0 : saved.parts.size;
    expect(keptParts).toBeGreaterThan(0);
    const starts: Array<[number, number]> = [];
    let fetched = 0;
    const result = await run(optionsFor(ctx.emulator, ctx.work, raw), {
      onStart: (_, length, alreadyOnDisk) => starts.push([length, alreadyOnDisk]),
      onBytes: (count) => {
        fetched += count;
      },
    });
    // Whole parts only (the last is short): the kept ones are not the last, which the pool fetches last.
    expect(starts).toEqual([[body.length, keptParts * PART]]);
    expect(fetched).toBe(body.length - keptParts * PART);
    expect(result.object).toMatchObject({ status: 'downloaded', bytesDownloaded: fetched });
  });

  it('starts over, saying why, when the object changed since the checkpoint', async () => {
    await expect(run(optionsFor(ctx.emulator, ctx.work, raw), abortAfter(3 * PART))).rejects.toThrow();
    const next = randomBytes(body.length);
    ctx.emulator.put('big.bin', next);
    const logger = recordingLogger();
    await run(optionsFor(ctx.emulator, ctx.work, raw), { logger });
    expect(Buffer.compare(await readFile(destination()), next)).toBe(0);
    expect(logger.lines.some((l) => /Starting 'big.bin' over: .* as the object changed since/.test(l))).toBe(
      true,
    );
  });

  it('starts over, saying why, when the temp file is shorter than the checkpoint says', async () => {
    await expect(run(optionsFor(ctx.emulator, ctx.work, raw), abortAfter(3 * PART))).rejects.toThrow();
    await truncate(objectState(destination()).temp, 100);
    const logger = recordingLogger();
    await run(optionsFor(ctx.emulator, ctx.work, raw), { logger });
    expect(Buffer.compare(await readFile(destination()), body)).toBe(0);
    expect(logger.lines.some((l) => /the temp file is shorter/.test(l))).toBe(true);
  });

  it('a CRC mismatch discards the temp file and the checkpoint', async () => {
    ctx.emulator.setFaults({ corruptByteAt: 3 * PART + 5 });
    await expect(run(optionsFor(ctx.emulator, ctx.work, raw))).rejects.toThrow(/CRC64 mismatch/);
    expect(await listFolder(ctx.work)).toEqual([]);
  });

  it('crc: false records parts without a CRC and keeps them unread on resume; with the CRC back on they are fetched again', async () => {
    const noCrc = { ...raw, crc: 'false' };
    await expect(run(optionsFor(ctx.emulator, ctx.work, noCrc), abortAfter(6 * PART))).rejects.toThrow();
    const saved = await readCheckpoint(objectState(destination()).checkpoint);
    if (saved === undefined || saved === 'corrupt') throw new Error('no checkpoint');
    expect(saved.parts.size).toBeGreaterThan(0);
    expect([...saved.parts.values()].every((crc) => crc === '-')).toBe(true);
    // The CRC is back on: no unchecked part is trusted, every one is fetched again.
    ctx.emulator.stats.reset();
    const logger = recordingLogger();
    const result = await run(optionsFor(ctx.emulator, ctx.work, raw), { logger });
    expect(result.object).toMatchObject({
      status: 'downloaded',
      crcCheck: 'verified',
      bytesDownloaded: body.length,
    });
    expect(Buffer.compare(await readFile(destination()), body)).toBe(0);
    expect(
      logger.lines.some((l) => /0 of 13 parts are already downloaded; \d+ more did not match/.test(l)),
    ).toBe(true);
  });

  it('crc: false resumes what it kept (the bytes are not read back), and the file is whole', async () => {
    const noCrc = { ...raw, crc: 'false' };
    await expect(run(optionsFor(ctx.emulator, ctx.work, noCrc), abortAfter(6 * PART))).rejects.toThrow();
    const saved = await readCheckpoint(objectState(destination()).checkpoint);
    if (saved === undefined || saved === 'corrupt') throw new Error('no checkpoint');
    const kept = saved.parts.size;
    const result = await run(optionsFor(ctx.emulator, ctx.work, noCrc));
    expect(result.object).toMatchObject({
      status: 'downloaded',
      crcCheck: 'disabled',
      bytesDownloaded: body.length - kept * PART,
    });
    expect(Buffer.compare(await readFile(destination()), body)).toBe(0);
  });

  it('fsync: true downloads and resumes the same bytes (files, checkpoint and folder synced on the way)', async () => {
    const durable = { ...raw, fsync: 'true' };
    await expect(run(optionsFor(ctx.emulator, ctx.work, durable), abortAfter(6 * PART))).rejects.toThrow();
    const saved = await readCheckpoint(objectState(destination()).checkpoint);
    expect(saved === undefined || saved === 'corrupt' ? 0 : saved.parts.size).toBeGreaterThan(0);
    const result = await run(optionsFor(ctx.emulator, ctx.work, durable));
    expect(result.object).toMatchObject({ status: 'downloaded', crcCheck: 'verified' });
    expect(Buffer.compare(await readFile(destination()), body)).toBe(0);
  });

  it('an interrupt keeps the first bytes of the parts in flight too, says how much, and the re-run fetches only the rest', async () => {
    const logger = recordingLogger();
    await expect(
      run(optionsFor(ctx.emulator, ctx.work, raw), { ...abortAfter(Math.round(4.5 * PART)), logger }),
    ).rejects.toThrow();
    const saved = await readCheckpoint(objectState(destination()).checkpoint);
    if (saved === undefined || saved === 'corrupt') throw new Error('no checkpoint');
    expect(saved.partial.size).toBeGreaterThan(0);
    let kept = 0;
    for (const index of saved.parts.keys()) kept += Math.min(PART, body.length - index * PART);
    for (const [index, start] of saved.partial) {
      expect(saved.parts.has(index)).toBe(false);
      expect(start.bytes).toBeGreaterThan(0);
      expect(start.bytes).toBeLessThan(PART);
      kept += start.bytes;
    }
    expect(
      logger.lines.some((l) =>
        /Kept \d+ of 13 finished parts of 'big\.bin', and [\d.]+ MiB of the parts in flight/.test(l),
      ),
    ).toBe(true);
    ctx.emulator.stats.reset();
    const starts: number[] = [];
    const result = await run(optionsFor(ctx.emulator, ctx.work, raw), {
      onStart: (_, __, onDisk) => starts.push(onDisk),
    });
    expect(result.object).toMatchObject({
      status: 'downloaded',
      crcCheck: 'verified',
      bytesDownloaded: body.length - kept,
    });
    expect(starts).toEqual([kept]);
    expect(ctx.emulator.stats.bytesServed).toBe(body.length - kept);
    expect(Buffer.compare(await readFile(destination()), body)).toBe(0);
  });

  it('first bytes of a part changed on disk since the checkpoint: that part is fetched again whole', async () => {
    await expect(
      run(optionsFor(ctx.emulator, ctx.work, raw), abortAfter(Math.round(4.5 * PART))),
    ).rejects.toThrow();
    const saved = await readCheckpoint(objectState(destination()).checkpoint);
    if (saved === undefined || saved === 'corrupt') throw new Error('no checkpoint');
    const [index] = [...saved.partial.keys()];
    if (index === undefined) throw new Error('no part in flight recorded');
    const handle = await open(objectState(destination()).temp, 'r+');
    await handle.write(Buffer.from('tampered'), 0, 8, index * PART);
    await handle.close();
    const logger = recordingLogger();
    await run(optionsFor(ctx.emulator, ctx.work, raw), { logger });
    expect(Buffer.compare(await readFile(destination()), body)).toBe(0);
    expect(logger.lines.some((l) => /1 more did not match their checkpoint on disk/.test(l))).toBe(true);
  });
});
