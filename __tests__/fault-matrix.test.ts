// The fault matrix: one mixed prefix (20 small files, a one-part object, three multipart objects at
// the minimum part size) mirrored under every fault the emulator injects. A transient fault must end
// in a complete mirror: every file byte-identical, the manifest right. A persistent one must fail
// with one line and leave nothing half-written. Either way retries are bounded (counted from the
// emulator's records) and logged with attempt numbers. Faults are seeded; the table printed at the
// end is the one in docs/fault-and-crash-matrix.md.
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { errorMessage } from '../src/base/error-message.js';
import type { RawInputs } from '../src/config/parse.js';
import { mirrorRequestFor, transferSettings } from '../src/core/download.js';
import { CosClient } from '../src/cos/client.js';
import { mulberry32 } from '../src/emulator/faults.js';
import type { Emulator, Faults } from '../src/emulator/index.js';
import { type MirrorResult, mirrorPrefix } from '../src/transfer/mirror.js';
import { transferDeps } from '../src/transfer/settings.js';
import { type LogLines, optionsFor, recordingLogger } from './helpers/env.js';
import {
  expectComplete,
  expectNothingHalfWritten,
  mixedPrefix,
  PART,
  putAll,
} from './helpers/mixed-prefix.js';
import { useEmulator } from './helpers/use-emulator.js';

const fixture = mixedPrefix('data/', 6, 20, [4, 5, 3]);
const PAGE = 5;
const CONCURRENCY = 3;
const RETRIES = 8;
const listPages = Math.ceil(fixture.objects.size / PAGE);

interface FaultCase {
  readonly fault: string;
  /** Set before the mirror starts. */
  readonly faults?: Faults;
  /** Applied once, when a third of the bytes have landed (a fault that starts mid-mirror). */
  readonly midway?: (server: Emulator) => void;
  readonly raw?: RawInputs;
  /** `ok`: a complete mirror; a RegExp: a failure with this one-line message. */
  readonly outcome: 'ok' | RegExp;
  /** Retries (logged) the fault must cause: at least / at most. */
  readonly retries: readonly [number, number];
}

const CASES: readonly FaultCase[] = [
  { fault: 'none (baseline)', outcome: 'ok', retries: [0, 0] },
  {
    fault: 'connection reset mid-body, 25% of GETs',
    faults: { resetRate: 0.25, seed: 11 },
    outcome: 'ok',
    retries: [1, 40],
  },
  {
    fault: 'burst of 6 × 503 SlowDown mid-mirror',
    midway: (server) => {
      server.faults.failNext = Array.from({ length: 6 }, () => ({ status: 503, code: 'SlowDown' }));
    },
    outcome: 'ok',
    retries: [6, 6],
  },
  {
    fault: '500 InternalError, 20% of requests',
    faults: { errorRate: 0.2, errorStatus: 500, seed: 12 },
    outcome: 'ok',
    retries: [1, 40],
  },
  {
    fault: '429 TooManyRequests, 20% of requests',
    faults: { errorRate: 0.2, errorStatus: 429, seed: 13 },
    outcome: 'ok',
    retries: [1, 40],
  },
  {
    fault: 'latency spikes: 300 ms on 20% of requests (below the idle timeout)',
    faults: { latencyMs: 300, latencyRate: 0.2, seed: 14 },
    outcome: 'ok',
    retries: [0, 0],
  },
  {
    fault: 'latency spikes: 2 s on 10% of requests, timeout 500ms',
    faults: { latencyMs: 2000, latencyRate: 0.1, seed: 15 },
    raw: { timeout: '500ms' },
    outcome: 'ok',
    retries: [1, 20],
  },
  {
    fault: 'stalled body on 15% of GETs, timeout 500ms',
    faults: { stallRate: 0.15, seed: 16 },
    raw: { timeout: '500ms' },
    outcome: 'ok',
    retries: [1, 20],
  },
  {
    fault: 'truncated body (full Content-Length), 25% of GETs',
    faults: { truncateRate: 0.25, seed: 17 },
    outcome: 'ok',
    retries: [1, 40],
  },
  {
    fault: 'ETag change mid-mirror (each key after its 2nd GET)',
    faults: { etagChangeAfterRequests: 2 },
    outcome: 'ok',
    retries: [0, 0],
  },
  {
    fault: 'RequestTimeTooSkewed: server clock +2 h mid-mirror',
    midway: (server) => server.setClockOffset(2 * 3600 * 1000),
    outcome: 'ok',
    retries: [1, CONCURRENCY + 1],
  },
  {
    fault: 'listing page 3 answers 503 once',
    faults: { failNext: [{ status: 503, code: 'SlowDown', kinds: ['list'], skip: 2 }] },
    outcome: 'ok',
    retries: [1, 1],
  },
  {
    fault: 'persistent: every GET body truncated at half, retries 3',
    faults: { truncateBody: true },
    raw: { retries: '3' },
    outcome: /^\d+ of \d+ download\(s\) failed; first: (GET )?'data\/[^']+'.*/,
    retries: [3, 3 * fixture.parts],
  },
  {
    fault: 'persistent: listing page 3 answers 403 AccessDenied',
    faults: { failNext: [{ status: 403, code: 'AccessDenied', kinds: ['list'], skip: 2 }] },
    outcome: /^Listing 'data\/' failed: .*403 AccessDenied/,
    retries: [0, 0],
  },
  {
    fault: 'persistent: 503 SlowDown on every request, retries 3',
    faults: { errorRate: 1, errorStatus: 503 },
    raw: { retries: '3' },
    outcome: /^Listing 'data\/' failed: .*503 SlowDown/,
    retries: [3, 3],
  },
];

interface Row {
  readonly fault: string;
  readonly outcome: string;
  readonly get: number;
  readonly head: number;
  readonly list: number;
  readonly retries: number;
  readonly bytesServed: number;
  /** Body bytes of responses cut short (the most a retry could have to fetch again). */
  readonly cutShort: number;
}

const rows: Row[] = [];
const ctx = useEmulator();

afterAll(() => {
  const table = [
    "| fault | outcome | GET | HEAD | LIST | retries | bytes served | over the objects' total | sent by cut-short responses |",
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.fault} | ${r.outcome} | ${r.get} | ${r.head} | ${r.list} | ${r.retries} | ${r.bytesServed} | ${r.outcome.startsWith('ok') ? r.bytesServed - fixture.totalBytes : '—'} | ${r.cutShort} |`,
    ),
  ].join('\n');
  console.info(
    `Fault matrix: ${fixture.objects.size} objects, ${fixture.totalBytes} bytes, ${fixture.parts} parts of ≤ ${PART} bytes, ` +
      `${listPages} listing pages, concurrency ${CONCURRENCY}\n${table}`,
  );
});
beforeEach(() => {
  putAll(ctx.emulator, fixture);
  ctx.emulator.stats.reset();
});

/** One mirror of the fixture; retry sleeps are instant, their delays still drawn and logged. */
async function mirror(
  raw: RawInputs,
  logger: LogLines,
  onThird: () => void,
): Promise<{ result?: MirrorResult; error?: unknown }> {
  const options = optionsFor(ctx.emulator, ctx.work, {
    prefix: fixture.prefix,
    destination: 'out',
    'part-size': '512KiB',
    concurrency: String(CONCURRENCY),
    retries: String(RETRIES),
    timeout: '5s',
    ...raw,
  });
  if (options.target.kind !== 'prefix') throw new Error('prefix expected');
  const client = new CosClient(options.connection, {
    logger,
    clock: { now: () => Date.now(), sleep: async () => {} },
    random: mulberry32(99),
    connections: CONCURRENCY,
  });
  let landed = 0;
  let fired = false;
  try {
    const result = await mirrorPrefix(
      client,
      { ...mirrorRequestFor(options, options.target), listPageSize: PAGE },
      transferSettings(options),
      transferDeps({
        logger,
        progress: {
          onBytes: (count) => {
            landed += count;
            if (!fired && landed >= fixture.totalBytes / 3) {
              fired = true;
              onThird();
            }
          },
        },
      }),
    );
    return { result };
  } catch (error: unknown) {
    return { error };
  } finally {
    await client.close();
  }
}

const RETRY_LINE =
  /^warning: (GET|HEAD|ListObjects) .*: attempt (\d+)\/(\d+) failed \(.+\); retrying in \d+ ms$/;
const SKEW_LINE =
  /^info: (GET|HEAD|ListObjects) .*: the local clock is off by -?\d+ s; corrected from the server's Date, retrying \(attempt (\d+)\/(\d+)\)$/;

/** The retries the client logged, by request kind. */
function retriesLogged(
  lines: readonly string[],
  attempts: number,
): Record<'GET' | 'HEAD' | 'ListObjects', number> {
  const counts = { GET: 0, HEAD: 0, ListObjects: 0 };
  for (const line of lines) {
    const match = RETRY_LINE.exec(line) ?? SKEW_LINE.exec(line);
    if (match === null) continue;
    expect(Number(match[3]), line).toBe(attempts);
    expect(Number(match[2]), line).toBeLessThanOrEqual(attempts);
    counts[match[1] as keyof typeof counts]++;
  }
  return counts;
}

/** Most attempts any one request needed: GETs grouped by key and part end, listing pages by marker. */
function mostAttempts(): number {
  const attempts = new Map<string, number>();
  for (const record of ctx.emulator.stats.requests) {
    const id =
      record.kind === 'get'
        ? `${record.path} ${/-(\d+)$/.exec(record.range ?? '')?.[1]}`
        : `${record.kind} ${record.path} ${record.query.marker ?? ''}`;
    attempts.set(id, (attempts.get(id) ?? 0) + 1);
  }
  return Math.max(0, ...attempts.values());
}

/** Body bytes of GET responses that ended before their range did. */
function cutShortBytes(): number {
  let bytes = 0;
  for (const record of ctx.emulator.stats.requests) {
    const range = /^bytes=(\d+)-(\d+)$/.exec(record.range ?? '');
    if (record.kind !== 'get' || range === null) continue;
    if (record.bytesSent < Number(range[2]) - Number(range[1]) + 1) bytes += record.bytesSent;
  }
  return bytes;
}

describe('fault matrix', () => {
  it.each(CASES)('$fault', async (c) => {
    const logger = recordingLogger();
    if (c.faults !== undefined) ctx.emulator.setFaults(c.faults);
    const { result, error } = await mirror(c.raw ?? {}, logger, () => c.midway?.(ctx.emulator));
    const stats = ctx.emulator.stats;
    const attempts = Number(c.raw?.retries ?? RETRIES) + 1;
    const logged = retriesLogged(logger.lines, attempts);
    const retries = logged.GET + logged.HEAD + logged.ListObjects;
    const restarts = logger.lines.filter((l) => /changed during the download .*starting over/.test(l)).length;
    const root = path.join(ctx.work, 'out');

    if (c.outcome === 'ok') {
      expect(error === undefined ? undefined : errorMessage(error)).toBeUndefined();
      expect(result?.downloaded).toBe(fixture.objects.size);
      await expectComplete(ctx.emulator, fixture, root);
      // Every extra request is a logged retry (or, after an ETag change, the restart's HEAD and parts).
      expect(stats.count('list')).toBe(listPages + logged.ListObjects);
      expect(stats.count('head')).toBe(restarts);
      if (restarts === 0) {
        expect(stats.count('get')).toBe(fixture.parts + logged.GET);
        // A retry asks only for the bytes not yet written, so what is served again is at most what
        // the cut-short responses had sent (only what the client held unwritten when they broke).
        expect(stats.bytesServed).toBeGreaterThanOrEqual(fixture.totalBytes);
        expect(stats.bytesServed - fixture.totalBytes).toBeLessThanOrEqual(cutShortBytes());
      } else {
        expect(stats.count('get')).toBeLessThanOrEqual(2 * fixture.parts + logged.GET);
      }
    } else {
      expect(error).toBeInstanceOf(Error);
      const message = errorMessage(error);
      expect(message).toMatch(c.outcome);
      expect(message).not.toContain('\n');
      await expectNothingHalfWritten(ctx.emulator, fixture, root, PART);
    }
    expect(retries).toBeGreaterThanOrEqual(c.retries[0]);
    expect(retries).toBeLessThanOrEqual(c.retries[1]);
    expect(mostAttempts()).toBeLessThanOrEqual(attempts * (restarts > 0 ? 2 : 1));
    rows.push({
      fault: c.fault,
      outcome:
        c.outcome === 'ok'
          ? `ok${restarts > 0 ? ` (${restarts} restarted)` : ''}`
          : `failed: ${errorMessage(error).slice(0, 90)}…`,
      get: stats.count('get'),
      head: stats.count('head'),
      list: stats.count('list'),
      retries,
      bytesServed: stats.bytesServed,
      cutShort: cutShortBytes(),
    });
  });
});
