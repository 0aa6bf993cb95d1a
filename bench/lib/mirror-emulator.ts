// The COS emulator for bench/mirror.ts, in-process from src/ so the benchmark can read its request
// counters: forked with an IPC channel, it serves a folder and answers `{ cmd: 'stats' }` with the
// requests seen since the last `{ cmd: 'reset' }`. Run by bench/mirror.ts as
//
//   node --experimental-transform-types --import ./__tests__/helpers/ts-source.ts \
//     bench/lib/mirror-emulator.ts '{"root":"DIR","bucket":"…","secretId":"…","secretKey":"…"}'
//
// An optional `"faults"` object is set on the emulator before it reports ready (bench/neutral.ts
// uses `{"latencyMs":20}`). Instead of `"root"`, `"synthetic": {"prefix":…,"count":…,"size":…}`
// serves that many objects generated from their keys (bench/scale.ts: up to a million keys).
//
// (The emulator's sources use parameter properties, which plain type stripping refuses.) Public-read
// with the given credentials: anonymous requests are served, signed ones are verified (strict).
// Exits when the parent disconnects, so it cannot outlive the benchmark.
import { type Faults, type SyntheticObjects, startEmulator } from '../../src/emulator/index.js';

interface Config {
  root?: string;
  synthetic?: SyntheticObjects;
  bucket: string;
  region: string;
  secretId: string;
  secretKey: string;
  /** Faults switched on from the start (e.g. `{ "latencyMs": 20 }` for bench/neutral.ts). */
  faults?: Faults;
}

export interface MirrorEmulatorCounts {
  get: number;
  head: number;
  list: number;
  other: number;
  /** Answers with a status of 400 or more. */
  errors: number;
  bytesServed: number;
  maxInFlight: number;
}

const send = (message: unknown): void => {
  process.send?.(message);
};
if (process.send === undefined) {
  console.error('mirror-emulator: run me with child_process.fork (I need an IPC channel)');
  process.exit(2);
}

const config = JSON.parse(process.argv[2] ?? '{}') as Config;

const started = performance.now();
const emulator = await startEmulator({
  ...(config.root === undefined ? {} : { root: config.root }),
  ...(config.synthetic === undefined ? {} : { synthetic: config.synthetic }),
  bucket: config.bucket,
  region: config.region,
  credentials: [{ secretId: config.secretId, secretKey: config.secretKey }],
  publicRead: true,
});
const loadMs = performance.now() - started;
if (config.faults !== undefined) emulator.setFaults(config.faults);

function counts(): MirrorEmulatorCounts {
  const stats = emulator.stats;
  let errors = 0;
  for (const record of stats.requests) if (record.status >= 400) errors++;
  return {
    get: stats.count('get'),
    head: stats.count('head'),
    list: stats.count('list'),
    other: stats.count('other'),
    errors,
    bytesServed: stats.bytesServed,
    maxInFlight: stats.maxInFlight,
  };
}

let closing = false;
async function stop(): Promise<void> {
  if (closing) return;
  closing = true;
  await emulator.close().catch(() => {});
  process.exit(0);
}

process.on('message', (message: { cmd?: string }) => {
  if (message.cmd === 'stats') send({ type: 'stats', counts: counts() });
  else if (message.cmd === 'reset') {
    emulator.stats.reset();
    send({ type: 'reset' });
  } else if (message.cmd === 'stop') void stop();
});
process.on('disconnect', () => void stop());
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop());

send({ type: 'ready', url: emulator.url, bucket: emulator.bucket, region: emulator.region, loadMs });
