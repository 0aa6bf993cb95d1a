// The set-up most core and edge tests share: an emulator that knows the test keys, and a fresh temp
// folder for every test. Call at the top of a file (or a describe) before its own hooks: its
// before-hooks run first and its after-hooks last, so a file's own clean-up still sees both.
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { Emulator, EmulatorOptions } from '../../src/emulator/index.js';
import { emulatorWithKeys, removeFolder, tempFolder } from './env.js';

export interface EmulatorFixture {
  /** The running emulator. */
  readonly emulator: Emulator;
  /** This test's own temp folder, removed after it. */
  readonly work: string;
}

export interface UseEmulatorOptions {
  /** Passed to the emulator; `credentials` replaces the test keys. */
  readonly emulator?: EmulatorOptions;
  /**
   * `file` (default): one emulator for every test, with faults, clock offset and stats reset before
   * each (objects stay). `test`: a new, empty emulator for each test.
   */
  readonly per?: 'file' | 'test';
}

export function useEmulator(options: UseEmulatorOptions = {}): EmulatorFixture {
  let emulator: Emulator | undefined;
  let work: string | undefined;
  const start = async () => {
    emulator = await emulatorWithKeys(options.emulator);
  };
  const stop = async () => {
    await emulator?.close();
    emulator = undefined;
  };
  if (options.per === 'test') {
    beforeEach(start);
    afterEach(stop);
  } else {
    beforeAll(start);
    afterAll(stop);
    beforeEach(() => {
      emulator?.clearFaults();
      emulator?.setClockOffset(0);
      emulator?.stats.reset();
    });
  }
  beforeEach(async () => {
    work = await tempFolder();
  });
  afterEach(async () => {
    if (work !== undefined) await removeFolder(work);
    work = undefined;
  });
  return {
    get emulator(): Emulator {
      if (emulator === undefined)
        throw new Error('useEmulator: the emulator runs only inside tests and hooks');
      return emulator;
    },
    get work(): string {
      if (work === undefined) throw new Error('useEmulator: the work folder exists only inside a test');
      return work;
    },
  };
}
