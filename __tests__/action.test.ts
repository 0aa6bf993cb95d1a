// The action's edge with a typed fake of @actions/core, against the emulator.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fakeCore } from '../__fixtures__/core.js';
import { run } from '../src/action/main.js';
import { listFolder, SECRET_ID, SECRET_KEY } from './helpers/env.js';
import { useEmulator } from './helpers/use-emulator.js';

const ctx = useEmulator();
const big = randomBytes(1536 * 1024);

beforeAll(() => {
  ctx.emulator.setVersioning(true);
  ctx.emulator.put('a/hello.txt', 'hello');
  ctx.emulator.put('a/big.bin', big, { storageClass: 'STANDARD_IA' });
});

function inputs(extra: Record<string, string>): Record<string, string> {
  return { bucket: ctx.emulator.bucket, endpoint: ctx.emulator.url, retries: '2', timeout: '5s', ...extra };
}

describe('action', () => {
  it('sets every single-object output and writes a summary row', async () => {
    const core = fakeCore(inputs({ key: 'a/big.bin', 'part-size': '512KiB', destination: 'out/' }));
    await run({
      core,
      env: {
        GITHUB_WORKSPACE: ctx.work,
        TENCENTCLOUD_SECRET_ID: SECRET_ID,
        TENCENTCLOUD_SECRET_KEY: SECRET_KEY,
      },
    });
    expect(core.failed).toBeUndefined();
    const version = ctx.emulator.versions('a/big.bin').at(-1);
    expect(core.outputs).toMatchObject({
      etag: version?.etag,
      'version-id': version?.versionId,
      crc64: version?.crc64,
      'content-length': String(big.length),
      'storage-class': 'STANDARD_IA',
      path: path.join(ctx.work, 'out', 'big.bin'),
      'not-modified': 'false',
    });
    expect(new Date(core.outputs['last-modified'] ?? '').toISOString()).toBe(core.outputs['last-modified']);
    expect(Buffer.compare(await readFile(path.join(ctx.work, 'out', 'big.bin')), big)).toBe(0);
    expect(core.summaries[0]?.rows[0]?.[0]).toBe('a/big.bin');
    expect(core.secrets).toEqual(expect.arrayContaining([SECRET_ID, SECRET_KEY]));
  });

  it('masks secret inputs before it logs anything, and never logs them', async () => {
    const sse = randomBytes(32).toString('base64');
    const core = fakeCore(
      inputs({
        key: 'a/hello.txt',
        'secret-id': SECRET_ID,
        'secret-key': SECRET_KEY,
        'sse-customer-key': sse,
      }),
      true,
    );
    await run({ core, env: { GITHUB_WORKSPACE: ctx.work } });
    expect(core.secrets).toEqual(expect.arrayContaining([SECRET_ID, SECRET_KEY, sse]));
    const everything = JSON.stringify([core.logs, core.outputs, core.summaries, core.failed]);
    expect(everything).not.toContain(SECRET_KEY);
    expect(everything).not.toContain(sse);
  });

  it('reports not-modified=true on 304', async () => {
    const etag = ctx.emulator.versions('a/hello.txt').at(-1)?.etag ?? '';
    const core = fakeCore(inputs({ key: 'a/hello.txt', 'if-none-match': etag }));
    await run({
      core,
      env: { GITHUB_WORKSPACE: ctx.work, COS_SECRET_ID: SECRET_ID, COS_SECRET_KEY: SECRET_KEY },
    });
    expect(core.failed).toBeUndefined();
    expect(core.outputs['not-modified']).toBe('true');
    expect(await listFolder(ctx.work)).toEqual([]);
  });

  it.each([
    [{ key: 'a', prefix: 'b' }, /'key'.*'prefix'|'prefix'.*'key'/],
    [{}, /key.*prefix|prefix.*key/],
    [{ key: 'a', range: 'bytes=5-2' }, /'range'/],
    [{ key: 'a', 'traffic-limit': '100' }, /'traffic-limit' = '100'.*819200/],
    [{ key: 'a', 'part-size': '10MB' }, /'part-size' = '10MB'/],
    [{ key: 'a', 'part-size': 'ten' }, /'part-size' = 'ten'/],
    [{ key: 'a', bucket: 'Bad_Bucket' }, /'bucket' = 'Bad_Bucket'/],
    [{ prefix: 'a', shard: '3/2' }, /'shard' = '3\/2'/],
    [
      { prefix: 'a', cache: 'true' },
      /'destination' = '\.': with 'cache: true' the destination folder is saved whole/,
    ],
  ])('fails %j before any request, in one line', async (extra, message) => {
    ctx.emulator.stats.reset();
    const core = fakeCore(inputs(extra as Record<string, string>));
    await run({ core, env: { GITHUB_WORKSPACE: ctx.work } });
    expect(core.failed).toMatch(message);
    expect(core.failed).not.toContain('\n');
    expect(core.failed).toMatch(/Fix:/);
    expect(ctx.emulator.stats.requests).toHaveLength(0);
    expect(core.outputs).toEqual({});
  });

  it('fails a missing object with the COS code, and leaves no file', async () => {
    const core = fakeCore(inputs({ key: 'a/missing', 'secret-id': SECRET_ID, 'secret-key': SECRET_KEY }));
    await run({ core, env: { GITHUB_WORKSPACE: ctx.work } });
    expect(core.failed).toMatch(/404 NoSuchKey/);
    expect(core.failed).not.toMatch(/\n\s+at /);
    expect(await listFolder(ctx.work)).toEqual([]);
  });

  it('writes the job summary on failure too, saying what was asked and what failed', async () => {
    const core = fakeCore(inputs({ key: 'a/missing', 'secret-id': SECRET_ID, 'secret-key': SECRET_KEY }));
    await run({ core, env: { GITHUB_WORKSPACE: ctx.work } });
    expect(core.failed).toMatch(/404 NoSuchKey/);
    expect(core.summaries).toEqual([
      {
        heading: 'COS download failed',
        header: ['Asked', 'What failed', 'Details'],
        rows: [
          [
            `key 'a/missing' of bucket '${ctx.emulator.bucket}'`,
            core.failed,
            expect.stringMatching(/^code NoSuchKey, HTTP 404, request id \S+$/),
          ],
        ],
      },
    ]);
  });

  it('writes a failure summary for a bad input too, before any request', async () => {
    const core = fakeCore(inputs({ key: 'a', 'part-size': '10MB' }));
    await run({ core, env: { GITHUB_WORKSPACE: ctx.work } });
    expect(core.summaries[0]?.rows[0]).toEqual([
      `key 'a' of bucket '${ctx.emulator.bucket}'`,
      core.failed,
      '',
    ]);
  });

  it('a failed mirror summarises what it did before it failed', async () => {
    ctx.emulator.put('m/one.txt', 'one');
    ctx.emulator.put('m/two.txt', 'two');
    ctx.emulator.setFaults({ failNext: [{ status: 403, code: 'AccessDenied', kinds: ['get'], skip: 1 }] });
    const core = fakeCore(
      inputs({
        prefix: 'm/',
        destination: 'm',
        concurrency: '1',
        'secret-id': SECRET_ID,
        'secret-key': SECRET_KEY,
      }),
    );
    await run({ core, env: { GITHUB_WORKSPACE: ctx.work } });
    expect(core.failed).toMatch(/1 of 2 download\(s\) failed; first: .*403 AccessDenied/);
    expect(core.summaries.map((table) => table.heading)).toEqual([
      'COS download failed',
      'COS mirror: done before the failure',
      'Largest files downloaded: done before the failure',
    ]);
    expect(core.summaries[0]?.rows[0]?.[2]).toMatch(/^code AccessDenied, HTTP 403/);
  });

  it('in a dry run, says what would be done: nothing downloaded, would-download counted', async () => {
    const core = fakeCore(
      inputs({ key: 'a/big.bin', 'dry-run': 'true', 'secret-id': SECRET_ID, 'secret-key': SECRET_KEY }),
    );
    await run({ core, env: { GITHUB_WORKSPACE: ctx.work } });
    expect(core.failed).toBeUndefined();
    expect(core.outputs).toMatchObject({
      'content-length': String(big.length),
      'bytes-downloaded': '0',
      'would-download': '1',
      'would-download-bytes': String(big.length),
    });
    expect(await listFolder(ctx.work)).toEqual([]);
    ctx.emulator.put('d/x.txt', 'xyz');
    const mirror = fakeCore(
      inputs({
        prefix: 'd/',
        destination: 'd',
        'dry-run': 'true',
        'secret-id': SECRET_ID,
        'secret-key': SECRET_KEY,
      }),
    );
    await run({ core: mirror, env: { GITHUB_WORKSPACE: ctx.work } });
    expect(mirror.outputs).toMatchObject({
      'files-downloaded': '0',
      'files-deleted': '0',
      'bytes-downloaded': '0',
      'would-download': '1',
      'would-download-bytes': '3',
      'would-delete': '0',
    });
    // A real run sets no would-… output.
    const real = fakeCore(
      inputs({ prefix: 'd/', destination: 'd', 'secret-id': SECRET_ID, 'secret-key': SECRET_KEY }),
    );
    await run({ core: real, env: { GITHUB_WORKSPACE: ctx.work } });
    expect(real.outputs).toMatchObject({ 'files-downloaded': '1', 'bytes-downloaded': '3' });
    expect(Object.keys(real.outputs).filter((name) => name.startsWith('would-'))).toEqual([]);
  });

  it('logs progress at a steady pace for a long transfer', async () => {
    ctx.emulator.setFaults({ latencyMs: 30 });
    const core = fakeCore(
      inputs({
        key: 'a/big.bin',
        'part-size': '512KiB',
        concurrency: '1',
        'secret-id': SECRET_ID,
        'secret-key': SECRET_KEY,
      }),
    );
    await run({ core, env: { GITHUB_WORKSPACE: ctx.work }, progressIntervalMs: 10 });
    expect(core.failed).toBeUndefined();
    expect(core.logs.some((l) => /Downloading: \d+% .* \/ 1\.50 MiB, .*\/s/.test(l))).toBe(true);
  });
});
