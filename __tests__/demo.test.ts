// `npm run demo`, the README's first command: it runs on the committed dist/, prints commands that
// paste (with --endpoint and --bucket), shows JSON and human output, a mirror and its re-run, and
// leaves nothing behind.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');

describe('npm run demo', () => {
  it('runs every step, prints pasteable commands, and removes its temp folder', async () => {
    const { stdout } = await exec(process.execPath, [path.join(root, 'scripts/demo.mjs')], { cwd: root });
    const commands = stdout.split('\n').filter((line) => line.startsWith('$ '));
    expect(commands).toHaveLength(6);
    for (const command of commands) {
      expect(command).toMatch(
        /^\$ npx cos-download --endpoint http:\/\/127\.0\.0\.1:\d+ --bucket examplebucket-1250000000 /,
      );
    }
    expect(commands.filter((command) => command.endsWith(' --json'))).toHaveLength(1);
    expect(commands.filter((command) => command.includes('--prefix / '))).toHaveLength(2);
    expect(stdout).toMatch(/"content-length": 1999000,/);
    expect(stdout).toMatch(/^Not modified \(304\)/m);
    expect(stdout).toMatch(/^Downloaded 4 file\(s\), 3\.00 MiB; skipped 0 unchanged/m);
    expect(stdout).toMatch(/^Largest files downloaded:/m);
    expect(stdout).toMatch(
      /^Downloaded 0 file\(s\), 0 B; skipped 4 unchanged; deleted 0 \(1 listing request\(s\)\)/m,
    );
    expect(stdout).not.toContain('(exit ');
    const work = /files go to (\S+)\.$/m.exec(stdout)?.[1];
    expect(work).toMatch(/cos-download-demo-/);
    expect(existsSync(work as string)).toBe(false);
  });
});
