// The bundled action run the way a runner runs it: `node dist/index.js` with INPUT_* variables and a
// GITHUB_OUTPUT file; outputs read back from that file. Also the bundled CLI.
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { startCacheStack } from './helpers/cache-stack.js';
import { SECRET_ID, SECRET_KEY } from './helpers/env.js';
import { useEmulator } from './helpers/use-emulator.js';

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const ctx = useEmulator();

beforeAll(() => {
  ctx.emulator.put('release/app.tar.gz', Buffer.alloc(300_000, 7));
});

/** Parses the GITHUB_OUTPUT file format (`name<<delimiter` … `delimiter`). */
function readOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i] as string);
    if (!match) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== match[2]; i++) value.push(lines[i] as string);
    outputs[match[1] as string] = value.join('\n');
  }
  return outputs;
}

async function runAction(inputs: Record<string, string>, extraEnv: Record<string, string> = {}) {
  const outputFile = path.join(ctx.work, `output-${Math.random().toString(36).slice(2)}`);
  const summaryFile = `${outputFile}.summary`;
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_WORKSPACE: ctx.work,
    RUNNER_TEMP: ctx.work,
    ...extraEnv,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const child = await exec(process.execPath, [path.join(root, 'dist/index.js')], { env, cwd: ctx.work }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  return {
    code: child.code,
    stdout: child.stdout,
    outputs: readOutputs(await readFile(outputFile, 'utf8')),
    summary: await readFile(summaryFile, 'utf8'),
  };
}

describe('dist/index.js as a runner runs it', () => {
  it('keeps a mirror in the Actions cache: the bundled @actions/cache against the local stack', async () => {
    const stack = await startCacheStack(ctx.work);
    try {
      const inputs = {
        bucket: ctx.emulator.bucket,
        endpoint: ctx.emulator.url,
        prefix: 'release',
        destination: 'cached',
        cache: 'true',
        'secret-id': SECRET_ID,
        'secret-key': SECRET_KEY,
      };
      const first = await runAction(inputs, stack.env);
      expect(first.code).toBe(0);
      expect(first.outputs['cache-hit']).toBe('false');
      expect(stack.entries()).toHaveLength(1);
      await rm(path.join(ctx.work, 'cached'), { recursive: true, force: true });
      ctx.emulator.stats.reset();
      const second = await runAction(inputs, stack.env);
      expect(second.code).toBe(0);
      expect(second.outputs['cache-hit']).toBe('true');
      expect(ctx.emulator.stats.count('get')).toBe(0);
      expect(
        (await readFile(path.join(ctx.work, 'cached', 'app.tar.gz'))).equals(Buffer.alloc(300_000, 7)),
      ).toBe(true);
      expect(second.summary).toContain('Actions cache');
    } finally {
      await stack.close();
    }
  }, 60_000);

  it('downloads and writes the outputs to GITHUB_OUTPUT', async () => {
    const result = await runAction({
      bucket: ctx.emulator.bucket,
      endpoint: ctx.emulator.url,
      key: 'release/app.tar.gz',
      destination: 'dl/',
      'secret-id': SECRET_ID,
      'secret-key': SECRET_KEY,
      crc: 'true',
    });
    expect(result.code).toBe(0);
    const version = ctx.emulator.versions('release/app.tar.gz').at(-1);
    expect(result.outputs.etag).toBe(version?.etag);
    expect(result.outputs.crc64).toBe(version?.crc64);
    expect(result.outputs['content-length']).toBe('300000');
    expect(result.outputs.path).toBe(path.join(ctx.work, 'dl', 'app.tar.gz'));
    expect(result.outputs['not-modified']).toBe('false');
    expect((await readFile(path.join(ctx.work, 'dl', 'app.tar.gz'))).equals(Buffer.alloc(300_000, 7))).toBe(
      true,
    );
    expect(result.stdout).toContain(`::add-mask::${SECRET_KEY}`);
    expect(result.stdout.replaceAll(`::add-mask::${SECRET_KEY}`, '')).not.toContain(SECRET_KEY);
    expect(result.summary).toContain('release/app.tar.gz');
  });

  it('mirrors a prefix and writes the mirror outputs; a re-run skips everything', async () => {
    ctx.emulator.put('site/a.txt', 'a');
    ctx.emulator.put('site/sub/b.txt', 'bb');
    const inputs = {
      bucket: ctx.emulator.bucket,
      endpoint: ctx.emulator.url,
      prefix: 'site',
      destination: 'mirror',
      'secret-id': SECRET_ID,
      'secret-key': SECRET_KEY,
    };
    const first = await runAction(inputs);
    expect(first.code).toBe(0);
    expect(first.outputs).toMatchObject({
      'files-downloaded': '2',
      'files-skipped': '0',
      'files-deleted': '0',
      'bytes-downloaded': '3',
      manifest: path.join(ctx.work, 'mirror', '.cos-download', 'manifest.json'),
      path: path.join(ctx.work, 'mirror'),
    });
    expect(await readFile(path.join(ctx.work, 'mirror', 'sub', 'b.txt'), 'utf8')).toBe('bb');
    expect(first.summary).toContain('COS mirror');
    ctx.emulator.stats.reset();
    const again = await runAction(inputs);
    expect(again.outputs).toMatchObject({
      'files-downloaded': '0',
      'files-skipped': '2',
      'bytes-downloaded': '0',
    });
    expect(ctx.emulator.stats.count('get')).toBe(0);
  });

  it('fails a bad input with exit 1 and one ::error:: line, before any request', async () => {
    ctx.emulator.stats.reset();
    const result = await runAction({
      bucket: ctx.emulator.bucket,
      endpoint: ctx.emulator.url,
      key: 'x',
      range: 'bytes=9-1',
    });
    expect(result.code).toBe(1);
    const errors = result.stdout.split('\n').filter((l) => l.startsWith('::error::'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/Input 'range' = 'bytes=9-1'/);
    expect(ctx.emulator.stats.requests).toHaveLength(0);
  });
});

describe('a link through the bundles', () => {
  it('the action makes one (presign: true), masked; the CLI downloads it with --url', async () => {
    const made = await runAction({
      bucket: ctx.emulator.bucket,
      endpoint: ctx.emulator.url,
      key: 'release/app.tar.gz',
      presign: 'true',
      expires: '15m',
      'secret-id': SECRET_ID,
      'secret-key': SECRET_KEY,
    });
    expect(made.code, made.stdout).toBe(0);
    const url = made.outputs.url ?? '';
    const signature = new URL(url).searchParams.get('q-signature') ?? '';
    expect(signature).toMatch(/^[0-9a-f]{40}$/);
    expect(made.outputs['url-expires-at']).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    const shown = made.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::'));
    expect(made.stdout).toContain(`::add-mask::${signature}`);
    expect(shown.join('\n')).not.toContain(signature);
    expect(made.summary).not.toContain(signature);
    expect(ctx.emulator.stats.count()).toBe(0);
    const got = await exec(
      process.execPath,
      [path.join(root, 'dist/cli/index.js'), '--url', url, '--destination', 'linked.bin', '--json'],
      { cwd: ctx.work },
    );
    expect(JSON.parse(got.stdout)).toMatchObject({
      ok: true,
      status: 'downloaded',
      'content-length': 300000,
    });
    expect(got.stdout + got.stderr).not.toContain(signature);
    expect((await readFile(path.join(ctx.work, 'linked.bin'))).equals(Buffer.alloc(300_000, 7))).toBe(true);
  });
});

describe('dist/cli/index.js', () => {
  it('prints --json and exits 0, 1 on failure, 2 on a usage error', async () => {
    const cli = path.join(root, 'dist/cli/index.js');
    const base = [
      '--bucket',
      ctx.emulator.bucket,
      '--endpoint',
      ctx.emulator.url,
      '--secret-id',
      SECRET_ID,
      '--secret-key',
      SECRET_KEY,
    ];
    const ok = await exec(
      process.execPath,
      [cli, ...base, '--key', 'release/app.tar.gz', '--destination', 'cli.bin', '--json'],
      { cwd: ctx.work },
    );
    expect(JSON.parse(ok.stdout)).toMatchObject({
      ok: true,
      status: 'downloaded',
      'content-length': 300000,
    });
    const missing = await exec(process.execPath, [cli, ...base, '--key', 'nope', '--json'], {
      cwd: ctx.work,
    }).catch((e) => e);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false });
    expect(missing.stderr).toMatch(/404 NoSuchKey/);
    const usage = await exec(process.execPath, [cli, ...base, '--key', 'a', '--prefix', 'b'], {
      cwd: ctx.work,
    }).catch((e) => e);
    expect(usage.code).toBe(2);
    expect(usage.stderr.trim().split('\n')).toHaveLength(1);
    const unknown = await exec(process.execPath, [cli, '--frobnicate'], { cwd: ctx.work }).catch((e) => e);
    expect(unknown.code).toBe(2);
    expect(`${missing.stdout}${missing.stderr}${usage.stderr}`).not.toContain(SECRET_KEY);
  });

  it("--version prints package.json's version: the bundle carries it", async () => {
    const manifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as {
      version: string;
    };
    const result = await exec(process.execPath, [path.join(root, 'dist/cli/index.js'), '--version'], {
      cwd: ctx.work,
    });
    expect(result.stdout).toBe(`${manifest.version}\n`);
  });
});
