// Shared test wiring: an emulator with credentials, real temp folders, and options built the way
// users build them (through the input parser), so the core is tested on what users can express.

import { statSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from '../../src/base/runtime.js';
import type { Options } from '../../src/config/options.js';
import { parseOptions, type RawInputs } from '../../src/config/parse.js';
import { download, type ObjectRunResult, type RunDeps } from '../../src/core/download.js';
import { type Emulator, type EmulatorOptions, startEmulator } from '../../src/emulator/index.js';
import type { MirrorResult } from '../../src/transfer/mirror.js';

export const SECRET_ID = 'AKIDtestsecretid0000000000000000';
export const SECRET_KEY = 'test-secret-key-never-printed-0123456789';

export async function emulatorWithKeys(options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }], ...options });
}

export async function tempFolder(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'cos-download-test-'));
}

export async function removeFolder(folder: string): Promise<void> {
  await rm(folder, { recursive: true, force: true });
}

export async function listFolder(folder: string): Promise<string[]> {
  return (await readdir(folder)).sort();
}

export function optionsFor(emulator: Emulator, cwd: string, raw: RawInputs): Options {
  return parseOptions(
    {
      bucket: emulator.bucket,
      endpoint: emulator.url,
      'secret-id': SECRET_ID,
      'secret-key': SECRET_KEY,
      retries: '3',
      timeout: '5s',
      ...raw,
    },
    { cwd, env: {}, isDirectory: (p) => statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false },
  );
}

export interface LogLines extends Logger {
  readonly lines: string[];
}

export function recordingLogger(): LogLines {
  const lines: string[] = [];
  return {
    lines,
    debug: (m) => lines.push(`debug: ${m}`),
    info: (m) => lines.push(`info: ${m}`),
    warning: (m) => lines.push(`warning: ${m}`),
  };
}

const instant = { now: () => Date.now(), sleep: async () => {} };

/** Runs a single-object download with instant retry sleeps (the backoff is still computed and logged). */
export async function run(options: Options, deps: RunDeps = {}): Promise<ObjectRunResult> {
  const result = await download(options, { clock: instant, ...deps });
  if (result.kind !== 'object') throw new Error('expected a single-object result');
  return result;
}

/** Runs a prefix mirror with instant retry sleeps. */
export async function runMirror(options: Options, deps: RunDeps = {}): Promise<MirrorResult> {
  const result = await download(options, { clock: instant, ...deps });
  if (result.kind !== 'prefix') throw new Error('expected a prefix result');
  return result.mirror;
}
