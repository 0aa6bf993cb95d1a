// The bundled CLI on this runner's own file system: a mirror of hostile keys writes every key this
// platform can hold where it belongs, refuses the rest by name, and never writes outside the
// destination. The expectations come from the pure path rules for process.platform, so the same test
// checks Linux, macOS (case-insensitive) and Windows (device names, <>:"|?*) runners.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorHandle, startEmulator } from '../src/library/index.js';
import { caseInsensitive, foldedPath, mapKey } from '../src/transfer/paths.js';
import { removeFolder, tempFolder } from './helpers/env.js';

const exec = promisify(execFile);
const bin = path.resolve(import.meta.dirname, '../dist/cli/index.js');

const KEYS = [
  'site/index.html',
  'site/sp ace/naïve.txt',
  'site/deep/a/b/c.txt',
  'site/CON',
  'site/aux.txt',
  'site/a:b.txt',
  'site/what?.txt',
  'site/dot.',
  'site/Case/x.md',
  'site/case/X.md',
  'site/../escape.txt',
  'site//abs.txt',
  'site/C:/drive.txt',
  'site/back\\slash.txt',
];

/** What the path rules say each key becomes on this platform: a relative path, or refused. */
function expected(): { written: Map<string, string>; refused: string[] } {
  const written = new Map<string, string>();
  const refused: string[] = [];
  const folded = new Set<string>();
  for (const key of [...KEYS].sort()) {
    const mapping = mapKey(key.slice('site/'.length), process.platform);
    if (mapping.kind !== 'file') {
      refused.push(key);
      continue;
    }
    const fold = foldedPath(mapping.relative);
    if (caseInsensitive(process.platform) && folded.has(fold)) {
      refused.push(key);
      continue;
    }
    folded.add(fold);
    written.set(key, mapping.relative);
  }
  return { written, refused: refused.sort() };
}

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

let cos: EmulatorHandle;
let work: string;

beforeAll(async () => {
  cos = await startEmulator({ objects: Object.fromEntries(KEYS.map((key) => [key, `content of ${key}`])) });
  work = await tempFolder();
});
afterAll(async () => {
  await cos.close();
  await removeFolder(work);
});

describe(`the CLI's mirror on this ${process.platform} file system`, () => {
  it('writes what the platform can hold, refuses the rest by name, and stays inside the destination', async () => {
    const destination = path.join(work, 'out');
    const { stdout } = await exec(
      process.execPath,
      [
        bin,
        '--bucket',
        cos.bucket,
        '--endpoint',
        cos.endpoint,
        '--prefix',
        'site/',
        '--destination',
        destination,
        '--json',
      ],
      {
        env: {
          ...process.env,
          TENCENTCLOUD_SECRET_ID: cos.credentials.secretId,
          TENCENTCLOUD_SECRET_KEY: cos.credentials.secretKey,
        },
      },
    );
    const result = JSON.parse(stdout) as { ok: boolean; refused: Array<{ key: string; reason: string }> };
    const { written, refused } = expected();
    expect(result.ok).toBe(true);
    expect(result.refused.map((r) => r.key).sort()).toEqual(refused);
    for (const { reason } of result.refused) expect(reason).not.toBe('');
    expect(await readdir(work)).toEqual(['out']);
    const files = (await filesUnder(destination)).filter((file) => !file.startsWith('.cos-download'));
    expect(files).toEqual([...written.values()].sort());
    for (const [key, relative] of written) {
      expect(await readFile(path.join(destination, ...relative.split('/')), 'utf8')).toBe(
        `content of ${key}`,
      );
    }
  });

  it('exits 2 with one line for a usage error, naming the flag', async () => {
    const args = [
      bin,
      '--bucket',
      cos.bucket,
      '--endpoint',
      cos.endpoint,
      '--key',
      'k',
      '--part-size',
      '10MB',
    ];
    const failure = await exec(process.execPath, args).catch(
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 2, stdout: '' });
    expect((failure as { stderr: string }).stderr).toMatch(/^cos-download: --part-size '10MB': [^\n]+\n$/);
  });
});
