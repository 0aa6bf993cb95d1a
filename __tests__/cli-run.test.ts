// The CLI in process against the emulator: the --json schema (numbers as numbers, dry runs, failures
// with their codes), the human report, --quiet and --verbose, an interrupt's exit code and message,
// and a network failure in one line.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Interrupted } from '../src/cli/exit-codes.js';
import type { JsonFailure, JsonReport, JsonSuccess } from '../src/cli/json.js';
import { main } from '../src/cli/main.js';
import { listFolder, SECRET_ID, SECRET_KEY } from './helpers/env.js';
import { useEmulator } from './helpers/use-emulator.js';

const ctx = useEmulator();
const big = randomBytes(3 * 512 * 1024 + 100);

beforeAll(() => {
  ctx.emulator.put('one.txt', 'hello');
  ctx.emulator.put('big.bin', big);
  ctx.emulator.put('m/a.txt', 'aaa');
  ctx.emulator.put('m/sub/b.txt', 'bbbbbb');
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function cli(args: readonly string[], signal?: AbortSignal, endpoint = ctx.emulator.url): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(['--bucket', ctx.emulator.bucket, '--endpoint', endpoint, ...args], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { TENCENTCLOUD_SECRET_ID: SECRET_ID, TENCENTCLOUD_SECRET_KEY: SECRET_KEY },
    cwd: ctx.work,
    ...(signal === undefined ? {} : { signal }),
  });
  return { code, stdout, stderr };
}

function report(run: Run): JsonReport {
  return JSON.parse(run.stdout) as JsonReport;
}

describe('--json', () => {
  it('an object: the outputs with numbers as numbers, the crc64 as text, how it was checked', async () => {
    const run = await cli(['--key', 'big.bin', '--part-size', '512KiB', '--json']);
    expect(run.code).toBe(0);
    const json = report(run) as JsonSuccess;
    expect(json).toEqual({
      ok: true,
      'exit-code': 0,
      kind: 'object',
      status: 'downloaded',
      'dry-run': false,
      etag: expect.stringMatching(/^"[0-9a-f]{32}"$/),
      crc64: expect.stringMatching(/^\d+$/),
      'content-length': big.length,
      'last-modified': expect.stringMatching(/Z$/),
      'storage-class': 'STANDARD',
      path: path.join(ctx.work, 'big.bin'),
      'not-modified': false,
      'bytes-downloaded': big.length,
      'crc-check': 'verified',
    });
    // Unchanged: skipped, nothing fetched, and why.
    const again = report(await cli(['--key', 'big.bin', '--part-size', '512KiB', '--json'])) as JsonSuccess;
    expect(again).toMatchObject({ status: 'skipped', 'bytes-downloaded': 0, reason: expect.any(String) });
  });

  it('a prefix: counters as numbers, every file, refused and archived keys, what delete kept', async () => {
    const json = report(await cli(['--prefix', 'm/', '--destination', 'm', '--json'])) as JsonSuccess;
    expect(json).toMatchObject({
      ok: true,
      kind: 'prefix',
      status: 'mirrored',
      'dry-run': false,
      'files-downloaded': 2,
      'files-skipped': 0,
      'files-deleted': 0,
      'bytes-downloaded': 9,
      manifest: path.join(ctx.work, 'm', '.cos-download', 'manifest.json'),
      refused: [],
      archived: [],
      kept: { 'not-ours': 0, changed: 0 },
    });
    expect(json.files).toEqual([
      { key: 'm/a.txt', path: 'a.txt', size: 3, action: 'download' },
      { key: 'm/sub/b.txt', path: 'sub/b.txt', size: 6, action: 'download' },
    ]);
    expect(json).not.toHaveProperty('would-download');
  });

  it('a dry run says what would happen: nothing downloaded, would-download counted', async () => {
    const mirror = report(await cli(['--prefix', 'm/', '--destination', 'dry', '--dry-run', '--json']));
    expect(mirror).toMatchObject({
      ok: true,
      status: 'dry-run',
      'dry-run': true,
      'files-downloaded': 0,
      'bytes-downloaded': 0,
      'would-download': 2,
      'would-download-bytes': 9,
      'would-delete': 0,
    });
    const object = report(await cli(['--key', 'one.txt', '--destination', 'dry.txt', '--dry-run', '--json']));
    expect(object).toMatchObject({
      status: 'would-download',
      'dry-run': true,
      'content-length': 5,
      'bytes-downloaded': 0,
      'would-download': 1,
      'would-download-bytes': 5,
    });
    expect(await listFolder(ctx.work)).toEqual([]);
  });

  it('a failure: ok false, the message, COS code, status and request id, exit 1', async () => {
    const run = await cli(['--key', 'nope.txt', '--json']);
    expect(run.code).toBe(1);
    const json = report(run) as JsonFailure;
    expect(json).toEqual({
      ok: false,
      'exit-code': 1,
      error: {
        kind: 'failure',
        message: expect.stringMatching(/404 NoSuchKey/),
        code: 'NoSuchKey',
        status: 404,
        'request-id': expect.any(String),
      },
    });
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe(`cos-download: ${json.error.message}`);
  });

  it('a mirror that fails part-way tells what it did before, in `partial`', async () => {
    ctx.emulator.setFaults({ failNext: [{ status: 403, code: 'AccessDenied', kinds: ['get'], skip: 1 }] });
    const run = await cli(['--prefix', 'm/', '--destination', 'part', '--concurrency', '1', '--json']);
    expect(run.code).toBe(1);
    expect(report(run)).toMatchObject({
      ok: false,
      error: { kind: 'failure', code: 'AccessDenied', status: 403 },
      partial: { kind: 'prefix', 'files-downloaded': 2, files: [{ key: 'm/a.txt' }, { key: 'm/sub/b.txt' }] },
    });
  });
});

describe('the human report', () => {
  it('a mirror prints what it did, the largest files and the outputs; --quiet keeps stderr empty', async () => {
    const run = await cli(['--prefix', 'm/', '--destination', 'h', '--quiet']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^Downloaded 2 file\(s\), 9 B; skipped 0 unchanged; deleted 0;/);
    expect(lines).toContain('Largest files downloaded:');
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}m\/sub\/b\.txt +6 B +sub\/b\.txt$/));
    expect(lines).toContain('  files-downloaded: 2');
  });

  it('--verbose adds debug lines: a failure’s code and its cause chain', async () => {
    const run = await cli(['--key', 'nope.txt', '--verbose']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^debug: error: CosError \(code NoSuchKey\): .*404 NoSuchKey/m);
    expect((await cli(['--key', 'nope.txt'])).stderr).not.toMatch(/^debug:/m);
  });
});

describe('an interrupt', () => {
  it('exits 130 after Ctrl-C, 143 after SIGTERM, with a line of its own saying how far it got', async () => {
    for (const [signal, exit] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      ctx.emulator.setFaults({ latencyMs: 50 });
      ctx.emulator.stats.reset();
      const controller = new AbortController();
      let out = '';
      let err = '';
      const args = ['--key', 'big.bin', '--destination', `stop-${signal}.bin`, '--part-size', '512KiB'];
      const running = main(
        [
          '--bucket',
          ctx.emulator.bucket,
          '--endpoint',
          ctx.emulator.url,
          ...args,
          '--concurrency',
          '1',
          '--json',
        ],
        {
          stdout: {
            write: (text: string) => {
              out += text;
            },
          },
          stderr: {
            write: (text: string) => {
              err += text;
            },
          },
          env: { TENCENTCLOUD_SECRET_ID: SECRET_ID, TENCENTCLOUD_SECRET_KEY: SECRET_KEY },
          cwd: ctx.work,
          signal: controller.signal,
        },
      );
      // Stop once the second part is coming: the first is in the checkpoint, kept, and the engine says so.
      for (let i = 0; i < 1000 && ctx.emulator.stats.bytesServed <= 512 * 1024 + 1024; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      controller.abort(new Interrupted(signal));
      expect(await running).toBe(exit);
      const last = err.trimEnd().split('\n').at(-1) ?? '';
      expect(last).toMatch(
        new RegExp(
          `^cos-download: ${signal === 'SIGINT' ? 'interrupted \\(Ctrl-C\\)' : 'terminated \\(SIGTERM\\)'} at .* of 1\\.50 MiB; run the same command again to resume$`,
        ),
      );
      expect(err).toMatch(/^Kept \d+ of 4 finished parts of 'big\.bin'/m);
      expect(JSON.parse(out)).toMatchObject({
        ok: false,
        'exit-code': exit,
        error: { kind: 'interrupted', signal, message: last.slice('cos-download: '.length) },
      });
      ctx.emulator.clearFaults();
      ctx.emulator.stats.reset();
    }
  });
});

describe('a network failure', () => {
  it('is one line naming the host and what to check; --verbose keeps the code of the cause', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const run = await cli(
      ['--key', 'one.txt', '--retries', '1', '--verbose'],
      undefined,
      `http://127.0.0.1:${port}`,
    );
    expect(run.code).toBe(1);
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe(
      `cos-download: HEAD 'one.txt': cannot connect to 127.0.0.1:${port}: the connection was refused (ECONNREFUSED). ` +
        'Check that the endpoint is running and that its address and port are right',
    );
    expect(run.stderr).toMatch(
      /^debug: caused by: Error \(code ECONNREFUSED, syscall connect.*\): connect ECONNREFUSED/m,
    );
    // A refused connection is transient: retried once, as asked, before the failure.
    expect(
      run.stderr.match(/^warning: HEAD 'one\.txt': attempt 1\/2 failed \(.*ECONNREFUSED/gm),
    ).toHaveLength(1);
  });
});
