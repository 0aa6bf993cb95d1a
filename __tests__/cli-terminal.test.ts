// The CLI in a real terminal: tmux runs it in a window 50 columns wide against the emulator, slowed
// by traffic-limit throttling and latency faults, and the screen is read back (capture-pane -J joins
// what the terminal wrapped, so a bar that wraps shows up as a line wider than the window). The bar
// fits and redraws in place; Ctrl-C exits 130 with the engine's message and ours on lines of their
// own. Skipped where tmux is missing; bounded to well under 30 s.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../src/emulator/index.js';
import { removeFolder, tempFolder } from './helpers/env.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const root = path.resolve(import.meta.dirname, '..');
const hooks = path.join(root, '__tests__/helpers/ts-source.ts');
const bin = path.join(root, 'src/cli/bin.ts');
// A tmux server of this test's own, so that no one else's sessions are seen or touched.
const socket = `cos-download-test-${process.pid}`;
const COLUMNS = 50;
const PART = 512 * 1024;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
}

/** The screen as lines, with what the terminal wrapped joined back (-J), trailing blanks dropped. */
function screen(): string[] {
  const lines = tmux('capture-pane', '-p', '-J', '-t', 'cli').split('\n');
  while (lines.length > 0 && (lines.at(-1) ?? '').trim() === '') lines.pop();
  return lines.map((line) => line.trimEnd());
}

async function waitForScreen(
  what: string,
  holds: (lines: string[]) => boolean,
  ms: number,
): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const lines = screen();
    if (holds(lines)) return lines;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; the screen:\n${lines.join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const percentOf = (lines: readonly string[]): number => {
  const bar = lines.find((line) => /^\[[#.]+\] \d+%/.test(line));
  return bar === undefined ? -1 : Number(/\] (\d+)%/.exec(bar)?.[1]);
};

let emulator: Emulator;
let work: string;

beforeAll(async () => {
  if (!hasTmux) return;
  // Anonymous (public-read), so the command line carries no key.
  emulator = await startEmulator({});
  emulator.put('big.bin', randomBytes(4 * PART));
  work = await tempFolder();
});

afterAll(async () => {
  if (!hasTmux) return;
  spawnSync('tmux', ['-L', socket, 'kill-server']);
  await emulator.close();
  await removeFolder(work);
});

describe.skipIf(!hasTmux)('the CLI in a 50-column terminal (tmux)', () => {
  it('draws a bar that fits and redraws in place; Ctrl-C exits 130 with its messages on lines of their own', async () => {
    // Every request waits 100 ms, and each body comes at 100 KiB/s: 4 parts, 2 at a time, take ~10 s.
    emulator.setFaults({ latencyMs: 100 });
    const command = [
      process.execPath,
      '--import',
      hooks,
      bin,
      ...['--bucket', emulator.bucket, '--endpoint', emulator.url, '--key', 'big.bin'],
      ...['--part-size', '512KiB', '--concurrency', '2', '--traffic-limit', '819200'],
      ...['--destination', path.join(work, 'big.bin')],
    ]
      .map((word) => `'${word}'`)
      .join(' ');
    tmux(
      'new-session',
      '-d',
      '-s',
      'cli',
      '-x',
      String(COLUMNS),
      '-y',
      '20',
      `${command}; echo "EXIT=$?"; sleep 30`,
    );

    // The bar shows, fits the window, and stays one line however often it is redrawn.
    const early = await waitForScreen('the bar', (lines) => percentOf(lines) >= 0, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const later = screen();
    for (const lines of [early, later]) {
      expect(lines.filter((line) => /\d+%/.test(line))).toHaveLength(1);
      for (const line of lines) expect(line.length, line).toBeLessThan(COLUMNS);
    }

    // Once the first two parts are in (a checkpoint holds them), Ctrl-C.
    await waitForScreen('half the bytes', (lines) => percentOf(lines) >= 55, 15_000);
    tmux('send-keys', '-t', 'cli', 'C-c');
    const end = await waitForScreen(
      'the exit status',
      (lines) => lines.some((l) => l.startsWith('EXIT=')),
      10_000,
    );

    expect(end.at(-1)).toBe('EXIT=130');
    const messages = end.slice(0, -1);
    // The bar, frozen where it stopped, then the engine's line (what it keeps), then ours.
    const bar = messages.findIndex((line) => /^\[[#.]+\] \d+%/.test(line));
    expect(bar).toBeGreaterThanOrEqual(0);
    expect(messages[bar]).not.toContain('^C');
    expect(messages[bar]?.length).toBeLessThan(COLUMNS);
    const kept = messages.findIndex((line) => /^Kept\b/.test(line));
    expect(kept).toBeGreaterThan(bar);
    expect(messages[kept]).toMatch(/'big\.bin'.*run again to resume/);
    expect(messages.at(-1)).toMatch(
      /^cos-download: interrupted \(Ctrl-C\) at [\d.]+ [KM]iB of 2\.00 MiB; run the same command again to resume$/,
    );
    expect(messages.filter((line) => /\d+%/.test(line))).toHaveLength(1);
  }, 30_000);
});
