// Progress arithmetic (pure) and the CLI's progress printer: the bar fits any width and never shares
// a line with a message; bytes a resume kept count toward the percent, never toward the rate.
import { describe, expect, it } from 'vitest';
import { fitBar, ProgressPrinter } from '../src/cli/progress-printer.js';
import { formatProgress, Progress, type ProgressSnapshot } from '../src/core/progress.js';

const MiB = 1024 * 1024;

describe('Progress', () => {
  it('counts kept bytes toward the percent and ETA, and only fetched ones toward the rate', () => {
    const progress = new Progress(0);
    // A resume: 40 MiB of 100 were on disk; this run fetched 20 MiB in 2 s.
    progress.addTotal(100 * MiB, 40 * MiB);
    progress.add(20 * MiB);
    const snapshot = progress.snapshot(2000);
    expect(snapshot).toMatchObject({ done: 60 * MiB, total: 100 * MiB, fetched: 20 * MiB, rate: 10 * MiB });
    expect(snapshot.etaMs).toBe(4000);
    expect(formatProgress(snapshot)).toBe('60% 60.0 MiB / 100.0 MiB, 10.0 MiB/s, ETA 4s');
  });

  it('says no ETA before the first byte, and none once done', () => {
    const progress = new Progress(0);
    progress.addTotal(10);
    expect(formatProgress(progress.snapshot(1000))).toBe('0% 0 B / 10 B, 0 B/s');
    progress.add(10);
    expect(formatProgress(progress.snapshot(1000))).toBe('100% 10 B / 10 B, 10 B/s');
  });
});

function snapshot(
  done: number,
  total: number,
  rate = 2 * MiB,
  etaMs: number | undefined = 61_000,
): ProgressSnapshot {
  return { done, total, fetched: done, elapsedMs: 1000, rate, etaMs };
}

describe('fitBar', () => {
  it.each([20, 30, 40, 50, 60, 80, 120, 200])(
    'fits %i columns with room for the ^C a terminal echoes',
    (columns) => {
      for (const s of [
        snapshot(0, 1),
        snapshot(512 * MiB, 1024 * MiB),
        snapshot(5 * 1024 ** 4, 10 * 1024 ** 4, 999 * 1024 ** 3, 360_000_000),
      ]) {
        const line = fitBar(s, columns);
        expect(line.length).toBeLessThanOrEqual(columns - 3);
        expect(line).toMatch(/\d+%/);
      }
    },
  );

  it('keeps the bar and every figure when there is room, and drops the byte counts first', () => {
    const full = '50% 512.0 MiB / 1.00 GiB, 2.00 MiB/s, ETA 1m01s';
    // 80 columns less the margin of 3, less the brackets and a space: the bar takes the rest (≤ 30).
    const width = 80 - 3 - full.length - 3;
    expect(fitBar(snapshot(512 * MiB, 1024 * MiB), 80)).toBe(
      `[${'#'.repeat(Math.round(width / 2))}${'.'.repeat(width - Math.round(width / 2))}] ${full}`,
    );
    expect(fitBar(snapshot(512 * MiB, 1024 * MiB), 200)).toBe(`[${'#'.repeat(15)}${'.'.repeat(15)}] ${full}`);
    expect(fitBar(snapshot(512 * MiB, 1024 * MiB), 50)).toBe(
      '[##########.........] 50% 2.00 MiB/s, ETA 1m01s',
    );
    expect(fitBar(snapshot(512 * MiB, 1024 * MiB), 20)).toBe('50%, ETA 1m01s');
  });
});

const ESC_K = '\u001b[K';

/** A fake terminal: what was written, and the screen it leaves (\r returns, ESC[K clears to the end). */
function terminal(columns: number) {
  let written = '';
  return {
    stream: {
      isTTY: true,
      columns,
      write(text: string) {
        written += text;
      },
    },
    get written() {
      return written;
    },
    screen(): string[] {
      const lines: string[] = [''];
      let column = 0;
      for (let i = 0; i < written.length; i++) {
        const row = lines.length - 1;
        const line = lines[row] as string;
        if (written.startsWith(ESC_K, i)) {
          lines[row] = line.slice(0, column);
          i += ESC_K.length - 1;
        } else if (written[i] === '\r') column = 0;
        else if (written[i] === '\n') {
          lines.push('');
          column = 0;
        } else {
          lines[row] = line.slice(0, column) + (written[i] as string) + line.slice(column + 1);
          column++;
        }
      }
      return lines;
    },
  };
}

describe('ProgressPrinter on a terminal', () => {
  it('clears the bar before a message, draws it again after, and leaves it on its own line', () => {
    let now = 0;
    const tty = terminal(50);
    const printer = new ProgressPrinter(tty.stream, {
      progress: true,
      ttyIntervalMs: 60_000,
      now: () => now,
    });
    printer.start('big.bin', 100 * MiB, 40 * MiB);
    printer.add(10 * MiB);
    now = 1000;
    printer.line('Resuming big.bin: 2 of 5 parts are already downloaded');
    printer.add(10 * MiB);
    now = 2000;
    printer.line('warning: a slow answer');
    printer.stop(true);
    const screen = tty.screen();
    expect(screen).toEqual([
      'Resuming big.bin: 2 of 5 parts are already downloaded',
      'warning: a slow answer',
      '[#############.........] 60% 10.0 MiB/s, ETA 4s',
      '',
    ]);
    expect((screen[2] as string).length).toBeLessThanOrEqual(50 - 3);
  });

  it('draws nothing with progress off (--quiet, --json), but still counts how far it got', () => {
    const tty = terminal(80);
    const printer = new ProgressPrinter(tty.stream, { progress: false });
    printer.start('big.bin', 100 * MiB, 0);
    printer.add(25 * MiB);
    printer.line('a message');
    printer.stop(true);
    expect(tty.written).toBe('a message\n');
    expect(printer.reached()).toBe('25.0 MiB of 100.0 MiB');
  });

  it('writes plain lines, never control characters, when stderr is not a terminal', () => {
    let written = '';
    const printer = new ProgressPrinter(
      { write: (text: string) => (written += text) },
      { progress: true, plainIntervalMs: 60_000 },
    );
    printer.start('big.bin', 32 * MiB, 16 * MiB);
    printer.line('a message');
    printer.stop(true);
    expect(written).toBe('downloading big.bin (32.0 MiB, 16.0 MiB already on disk)\na message\n');
  });
});
