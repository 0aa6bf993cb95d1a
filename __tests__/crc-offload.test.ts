// The CRC on a second core (src/transfer/crc64/offload.ts): segments hashed by the worker or here
// give the same CRC as one pass, the known stretch never runs ahead of the bytes, a busy or stopped
// worker never yields a wrong CRC, and an idle worker never keeps a process alive.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../src/transfer/checkpoint.js';
import { CrcWorker, SEGMENT_BYTES, type StreamCrc, streamCrc } from '../src/transfer/crc64/offload.js';
import { crc64 } from '../src/transfer/crc64.js';
import { objectState } from '../src/transfer/state.js';
import { optionsFor, recordingLogger, run, SECRET_ID, SECRET_KEY } from './helpers/env.js';
import { useEmulator } from './helpers/use-emulator.js';

// With one core there is no worker: every CRC is computed on the main thread (crc64.test.ts).
const oneCore = availableParallelism() < 2;

afterAll(async () => {
  await CrcWorker.stop();
});

/** Feeds `data` to a stream in slices of the given sizes (cycled), the way reads arrive. */
function feed(stream: StreamCrc, data: Uint8Array, slices: readonly number[]): void {
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const size = slices[i % slices.length] ?? 1;
    stream.update(data.subarray(at, at + size));
    at += size;
  }
}

describe.skipIf(oneCore)('a stream CRC on the worker', () => {
  it('there is a worker on this machine (more than one core), so the segmented path is what runs', () => {
    expect(CrcWorker.shared()).toBeDefined();
  });

  it('equals one pass over the bytes, whatever the read sizes; the known stretch is a true prefix', async () => {
    const data = randomBytes(3 * SEGMENT_BYTES + 12_345);
    const whole = crc64(data);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 300_000 }), { minLength: 1, maxLength: 6 }),
        async (slices) => {
          const stream = streamCrc(data.length);
          feed(stream, data, slices);
          const early = stream.known();
          expect(early.bytes).toBeLessThanOrEqual(data.length);
          expect(early.crc).toBe(crc64(data.subarray(0, early.bytes)));
          expect(await stream.complete()).toEqual({ bytes: data.length, crc: whole });
          expect(await stream.digest()).toBe(whole);
        },
      ),
      { numRuns: 25, seed: 1302 },
    );
  });

  it('a worker with too many segments out: the rest are hashed here, and every CRC is still right', async () => {
    const worker = CrcWorker.shared();
    const inputs = Array.from({ length: 12 }, () => randomBytes(2 * SEGMENT_BYTES + 7));
    const streams = inputs.map((data) => streamCrc(data.length));
    let sawBusy = false;
    inputs.forEach((data, i) => {
      feed(streams[i] as StreamCrc, data, [65_536]);
      sawBusy ||= worker?.available === false;
    });
    expect(sawBusy).toBe(true);
    const digests = await Promise.all(streams.map((stream) => stream.digest()));
    expect(digests).toEqual(inputs.map((data) => crc64(data)));
  });

  it('a worker stopped with segments out: the CRC fails or is right, never wrong; the next stream gets a new worker', async () => {
    const data = randomBytes(6 * SEGMENT_BYTES);
    const stream = streamCrc(data.length);
    feed(stream, data, [SEGMENT_BYTES]);
    await CrcWorker.stop();
    const outcome = await stream.digest().then(
      (crc) => ({ crc }),
      (error: Error) => ({ error: error.message }),
    );
    if ('crc' in outcome) expect(outcome.crc).toBe(crc64(data));
    else expect(outcome.error).toMatch(/the CRC worker stopped/);
    const next = streamCrc(data.length);
    feed(next, data, [100_000]);
    expect(await next.digest()).toBe(crc64(data));
    expect(CrcWorker.shared()?.answered).toBeGreaterThan(0);
  });

  it('a stream shorter than a segment never goes to the worker', async () => {
    const worker = CrcWorker.shared();
    const before = worker?.answered;
    const data = randomBytes(SEGMENT_BYTES - 1);
    const stream = streamCrc(data.length);
    feed(stream, data, [65_536]);
    expect(stream.known()).toEqual({ bytes: data.length, crc: crc64(data) });
    expect(await stream.digest()).toBe(crc64(data));
    expect(worker?.answered).toBe(before);
  });

  it('hash() refuses a length past its buffer and, once the worker failed, throws instead of waiting forever', async () => {
    const worker = CrcWorker.shared();
    if (worker === undefined) throw new Error('no worker');
    expect(() => worker.hash(new ArrayBuffer(10), 11)).toThrow(/not within the buffer/);
    await CrcWorker.stop();
    expect(() => worker.hash(new ArrayBuffer(10), 10)).toThrow(/the CRC worker stopped/);
    expect(worker.available).toBe(false);
  });
});

describe.skipIf(oneCore)('downloads with parts of several segments', () => {
  const ctx = useEmulator();
  const PART = 2 * SEGMENT_BYTES;
  const body = randomBytes(5 * PART + 999);
  const raw = { key: 'big.bin', 'part-size': '2MiB', concurrency: '2' };
  const destination = (): string => path.join(ctx.work, 'big.bin');

  it('an interrupt records the parts in flight as far as their bytes were written; the re-run fetches only the rest', async () => {
    ctx.emulator.put('big.bin', body);
    const controller = new AbortController();
    let seen = 0;
    const logger = recordingLogger();
    await expect(
      run(optionsFor(ctx.emulator, ctx.work, raw), {
        logger,
        signal: controller.signal,
        onBytes: (n) => {
          seen += n;
          if (seen >= 2.5 * PART) controller.abort(new Error('stop'));
        },
      }),
    ).rejects.toThrow();
    const saved = await readCheckpoint(objectState(destination()).checkpoint);
    if (saved === undefined || saved === 'corrupt') throw new Error('no checkpoint');
    let kept = 0;
    for (const index of saved.parts.keys()) kept += Math.min(PART, body.length - index * PART);
    for (const start of saved.partial.values()) kept += start.bytes;
    // The last checkpoint waited for the worker and hashed what was staged: it vouches for every
    // byte that landed (`seen` counts each written read), not only for whole segments.
    expect(saved.partial.size).toBeGreaterThan(0);
    expect(kept).toBe(seen);
    expect(logger.lines.some((line) => /, and [\d.]+ MiB of the parts in flight/.test(line))).toBe(true);
    ctx.emulator.stats.reset();
    const answered = CrcWorker.shared()?.answered ?? 0;
    const result = await run(optionsFor(ctx.emulator, ctx.work, raw));
    expect(CrcWorker.shared()?.answered).toBeGreaterThan(answered);
    expect(result.object).toMatchObject({
      status: 'downloaded',
      crcCheck: 'verified',
      bytesDownloaded: body.length - kept,
    });
    expect(ctx.emulator.stats.bytesServed).toBe(body.length - kept);
    expect(Buffer.compare(await readFile(destination()), body)).toBe(0);
  });

  it('a corrupted byte deep in a part (hashed by the worker) fails the download', async () => {
    ctx.emulator.put('big.bin', body);
    ctx.emulator.setFaults({ corruptByteAt: PART + SEGMENT_BYTES + 5 });
    const answered = CrcWorker.shared()?.answered ?? 0;
    await expect(run(optionsFor(ctx.emulator, ctx.work, raw))).rejects.toThrow(/CRC64 mismatch/);
    expect(CrcWorker.shared()?.answered).toBeGreaterThan(answered);
  });

  /** Runs the download, stopping the worker once `after` bytes have landed. */
  async function stopWorkerDuring(after: number): Promise<Awaited<ReturnType<typeof run>>> {
    let seen = 0;
    let stopping: Promise<void> | undefined;
    try {
      return await run(optionsFor(ctx.emulator, ctx.work, raw), {
        onBytes: (n) => {
          seen += n;
          if (stopping === undefined && seen >= after) stopping = CrcWorker.stop();
        },
      });
    } finally {
      expect(stopping).toBeDefined();
      await stopping;
    }
  }

  it('the worker stopped in the middle of a download: the parts it held are hashed from the file, and the download is verified', async () => {
    ctx.emulator.put('big.bin', body);
    ctx.emulator.setFaults({ latencyMs: 5 });
    const result = await stopWorkerDuring(1.5 * PART);
    expect(result.object).toMatchObject({ status: 'downloaded', crcCheck: 'verified' });
    expect(Buffer.compare(await readFile(destination()), body)).toBe(0);
  });

  it('the same with a corrupted byte: hashing from the file still catches it', async () => {
    ctx.emulator.put('big.bin', body);
    ctx.emulator.setFaults({ corruptByteAt: 4 * PART + 3 });
    await expect(stopWorkerDuring(4 * PART + SEGMENT_BYTES / 2)).rejects.toThrow(/CRC64 mismatch/);
  });

  it('the bundled CLI exits by itself after such a download: the idle worker holds no process open', async () => {
    ctx.emulator.put('big.bin', body);
    const cli = path.resolve(import.meta.dirname, '../dist/cli/index.js');
    const child = spawn(
      process.execPath,
      [
        cli,
        ...['--bucket', ctx.emulator.bucket, '--endpoint', ctx.emulator.url, '--key', 'big.bin'],
        ...['--part-size', '2MiB', '--destination', destination(), '--json'],
      ],
      {
        env: {
          PATH: process.env.PATH ?? '',
          TENCENTCLOUD_SECRET_ID: SECRET_ID,
          TENCENTCLOUD_SECRET_KEY: SECRET_KEY,
        },
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = await once(child, 'exit');
    clearTimeout(timer);
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ 'crc-check': 'verified' });
    expect(Buffer.compare(await readFile(destination()), body)).toBe(0);
  });
});
