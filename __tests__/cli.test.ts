// The CLI edge in process: what it prints for --version and --help, without a download.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, VERSION } from '../src/cli/main.js';

const root = path.resolve(import.meta.dirname, '..');

async function packageVersion(): Promise<string> {
  const manifest: unknown = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
  const version = (manifest as { version?: unknown }).version;
  if (typeof version !== 'string') throw new TypeError('package.json has no version');
  return version;
}

async function cli(args: readonly string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    cwd: root,
  });
  return { code, stdout, stderr };
}

describe('cos-download --version', () => {
  it.each([['--version'], ['-V']])("%s prints package.json's version and exits 0", async (flag) => {
    const version = await packageVersion();
    expect(VERSION).toBe(version);
    expect(await cli([flag])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});
