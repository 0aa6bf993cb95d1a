// Sample objects for `cos-download emulator --demo`: something of every kind a user may try.
import { mulberry32 } from './faults.js';
import type { Emulator } from './server.js';

export interface DemoObject {
  readonly key: string;
  readonly note: string;
}

/** Deterministic pseudo-random bytes (the same demo every run). */
function seededBytes(length: number, seed: number): Uint8Array {
  const random = mulberry32(seed);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 1) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

/** Puts the demo objects; leaves versioning on (the versioned object needs it). */
export function loadDemo(emulator: Emulator): DemoObject[] {
  emulator.put('hello.txt', 'Hello from the local COS emulator.\n', { contentType: 'text/plain' });
  emulator.put('data/random-3MiB.bin', seededBytes(3 * 1024 * 1024, 2024));
  emulator.put('dir/', '', { contentType: 'application/x-directory' });
  emulator.put('dir/nested.txt', 'A file inside dir/.\n', { contentType: 'text/plain' });
  emulator.put('archive/cold.bin', seededBytes(4096, 7), { storageClass: 'ARCHIVE' });
  emulator.setVersioning(true);
  const first = emulator.put('versioned.txt', 'version 1\n', { contentType: 'text/plain' });
  emulator.put('versioned.txt', 'version 2\n', { contentType: 'text/plain' });
  return [
    { key: 'hello.txt', note: 'small text file' },
    { key: 'data/random-3MiB.bin', note: '3 MiB binary (ranged, parallel download)' },
    { key: 'dir/', note: 'folder marker' },
    { key: 'dir/nested.txt', note: 'object under dir/' },
    { key: 'archive/cold.bin', note: 'ARCHIVE storage class: GET answers 403 InvalidObjectState' },
    { key: 'versioned.txt', note: `2 versions; the first is ${first.versionId}` },
  ];
}
