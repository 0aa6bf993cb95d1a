// A mirror's memory does not grow with its keys: an unchanged re-run of 50,000 keys runs in a V8 heap
// capped far below what holding its listing or its manifest would take, and a pass over more keys
// than the manifest's reorder window holds ends. The million-key figures are bench/scale.ts's.
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../src/emulator/index.js';
import { manifestPath } from '../src/transfer/state.js';
import {
  emulatorWithKeys,
  optionsFor,
  removeFolder,
  runMirror,
  SECRET_ID,
  SECRET_KEY,
  tempFolder,
} from './helpers/env.js';

const hooks = path.resolve(import.meta.dirname, 'helpers/ts-source.ts');
const cliSource = path.resolve(import.meta.dirname, '../src/cli/bin.ts');
const PREFIX = 'scale/';

let emulator: Emulator;
let work: string;

afterEach(async () => {
  await emulator.close();
  await removeFolder(work);
});

describe('a mirror of many keys', () => {
  beforeEach(async () => {
    work = await tempFolder();
  });

  it('more keys than the reorder window: the first run and the unchanged re-run both end', async () => {
    emulator = await emulatorWithKeys({ synthetic: { prefix: PREFIX, count: 5000, size: 8 } });
    const options = optionsFor(emulator, work, { prefix: PREFIX, destination: 'out', concurrency: '16' });
    const first = await runMirror(options);
    expect(first.downloaded).toBe(5000);
    emulator.stats.reset();
    const again = await runMirror(options);
    expect(again.skipped).toBe(5000);
    expect(emulator.stats.count('get')).toBe(0);
  }, 120_000);

  it('an unchanged re-run of 50,000 keys fits in a 48 MiB heap', async () => {
    const count = 50_000;
    emulator = await emulatorWithKeys({ synthetic: { prefix: PREFIX, count, size: 8 } });
    // The state a first run leaves, made here without 50,000 GETs: the files, and a manifest of them.
    const out = path.join(work, 'out');
    const width = String(count - 1).length;
    await mkdir(path.join(out, '.cos-download'), { recursive: true });
    const lines: string[] = [];
    for (let i = 0; i < count; i++) {
      const name = String(i).padStart(width, '0');
      const file = path.join(out, name);
      await writeFile(file, '12345678');
      const { statSync } = await import('node:fs');
      const local = statSync(file);
      const version = emulator.versions(`${PREFIX}${name}`)[0];
      lines.push(
        JSON.stringify({
          key: `${PREFIX}${name}`,
          etag: version?.etag,
          crc64: version?.crc64,
          size: 8,
          path: name,
          'local-size': local.size,
          'local-mtime-ms': local.mtimeMs,
          'local-ino': local.ino,
          'local-ctime-ms': local.ctimeMs,
          written: true,
        }),
      );
    }
    const header = JSON.stringify({
      format: 'cos-download-manifest/2',
      bucket: emulator.bucket,
      prefix: PREFIX,
    });
    await writeFile(manifestPath(out), `${header.slice(0, -1)},"objects":[\n${lines.join(',\n')}\n]}\n`);
    emulator.stats.reset();
    const child = spawn(
      process.execPath,
      [
        '--max-old-space-size=48',
        '--import',
        hooks,
        cliSource,
        ...[
          '--bucket',
          emulator.bucket,
          '--endpoint',
          emulator.url,
          '--prefix',
          PREFIX,
          '--destination',
          'out',
        ],
        '--json',
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
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, stderr.slice(-2000)).toBe(0);
    const result = JSON.parse(stdout) as { 'files-skipped': number; 'files-downloaded': number };
    expect(result['files-skipped']).toBe(count);
    expect(result['files-downloaded']).toBe(0);
    expect(emulator.stats.count('get')).toBe(0);
    expect(emulator.stats.count('list')).toBe(50);
  }, 120_000);
});
