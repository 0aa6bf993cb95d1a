// What every benchmark needs: integer settings from the environment, child processes in their own
// process groups (killed, with the temp folder removed, on exit or a signal), a bounded run of a
// command that keeps each stream's tail, and medians.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function envInt(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) {
    throw new Error(`${name} must be an integer of at least ${min}, not "${raw}"; unset it for ${fallback}`);
  }
  return Number(raw);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

const children = new Set<ChildProcess>();
let work: string | undefined;

export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** Keeps `child` in the set that is killed on exit; returns it. */
export function track<T extends ChildProcess>(child: T): T {
  children.add(child);
  child.once('close', () => children.delete(child));
  return child;
}

/** Kills every tracked child (SIGKILL, whole group) and removes the temp folder; also runs on exit. */
export function cleanUp(): void {
  for (const child of children) killGroup(child, 'SIGKILL');
  children.clear();
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
  work = undefined;
}

/** A temp folder for this run, removed (and every child killed) on exit, Ctrl-C, SIGTERM or SIGHUP. */
export function benchFolder(name: string): string {
  work = mkdtempSync(join(process.env.BENCH_TMP ?? tmpdir(), `${name}-`));
  return work;
}

process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping children and removing temp files\n`);
    cleanUp();
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
  });
}

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly label: string;
  readonly env: NodeJS.ProcessEnv;
  readonly limitMs: number;
  /** The setting that sets `limitMs`, named in the error when a run is killed. */
  readonly limitSetting?: string;
  readonly cwd?: string;
  /** Characters of stdout kept (the tail). */
  readonly stdoutTail?: number;
}

/** Runs a command to completion in its own process group, killed after `limitMs`. */
export function run(command: string, args: readonly string[], options: RunOptions): Promise<Finished> {
  const keep = options.stdoutTail ?? 16_384;
  return new Promise((done, fail) => {
    const child = track(
      spawn(command, args, {
        env: options.env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      }),
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout = (stdout + text).slice(-keep);
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr = (stderr + text).slice(-16_384);
    });
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      const setting = options.limitSetting === undefined ? '' : ` (${options.limitSetting})`;
      fail(new Error(`bench: ${options.label} ran over ${options.limitMs / 1000} s${setting}; killed`));
    }, options.limitMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      fail(new Error(`bench: cannot start ${command}: ${error.message}`, { cause: error }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    });
  });
}
