// What a download keeps in its state folder, named by role rather than by hashed file name.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { objectState } from '../../src/transfer/state.js';

/** The roles of the files in a single-object download's state folder, sorted ('temp', 'checkpoint', 'lock', …). */
export async function objectStateFiles(destination: string): Promise<string[]> {
  const state = objectState(destination);
  const [temp, checkpoint, lock] = [state.temp, state.checkpoint, state.lock].map((p) => path.basename(p));
  const names = await readdir(state.folder).catch(() => [] as string[]);
  return names
    .map((name) => {
      if (name === temp) return 'temp';
      if (name === checkpoint) return 'checkpoint';
      if (name === `${checkpoint}.tmp`) return 'checkpoint.tmp';
      if (name === lock) return 'lock';
      if (name.startsWith(`${lock}.`)) return 'lock-draft';
      return `other: ${name}`;
    })
    .sort();
}
