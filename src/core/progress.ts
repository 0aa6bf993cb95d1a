// Transfer progress: counts bytes against a total and tells percent, rate and ETA. Pure but for
// the injected clock reading passed in. Bytes an earlier run left on disk count toward the percent,
// never toward the rate: the rate is this run's.

export interface ProgressSnapshot {
  /** Bytes in place: fetched by this run, and kept from an earlier one. */
  readonly done: number;
  readonly total: number;
  /** Bytes this run fetched. */
  readonly fetched: number;
  readonly elapsedMs: number;
  /** Bytes per second this run fetched, over the whole transfer so far. */
  readonly rate: number;
  /** Milliseconds left at the current rate; undefined before any byte. */
  readonly etaMs: number | undefined;
}

/** Objects at least this large get a line of their own when they start; smaller ones only count. */
export const ANNOUNCE_BYTES = 16 * 1024 * 1024;

export class Progress {
  #fetched = 0;
  #resumed = 0;
  #total = 0;
  readonly #startedAt: number;

  constructor(startedAt: number) {
    this.#startedAt = startedAt;
  }

  /** An object starts: `length` bytes in all, of which `alreadyOnDisk` an earlier run left. */
  addTotal(length: number, alreadyOnDisk = 0): void {
    this.#total += length;
    this.#resumed += alreadyOnDisk;
  }

  /** Bytes this run fetched. */
  add(bytes: number): void {
    this.#fetched += bytes;
  }

  snapshot(now: number): ProgressSnapshot {
    const elapsedMs = Math.max(1, now - this.#startedAt);
    const rate = (this.#fetched * 1000) / elapsedMs;
    const done = this.#fetched + this.#resumed;
    const left = Math.max(0, this.#total - done);
    return {
      done,
      total: this.#total,
      fetched: this.#fetched,
      elapsedMs,
      rate,
      etaMs: rate > 0 ? (left / rate) * 1000 : undefined,
    };
  }
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${UNITS[unit]}`;
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** The parts a progress line is made of, each already formatted. */
export function progressParts(s: ProgressSnapshot): {
  percent: string;
  bytes: string;
  rate: string;
  eta: string | undefined;
} {
  const percent = s.total > 0 ? Math.floor((s.done * 100) / s.total) : 100;
  return {
    percent: `${percent}%`,
    bytes: `${formatBytes(s.done)} / ${formatBytes(s.total)}`,
    rate: `${formatBytes(Math.round(s.rate))}/s`,
    eta: s.etaMs === undefined || s.done >= s.total ? undefined : `ETA ${formatDuration(s.etaMs)}`,
  };
}

/** `42% 420.0 MiB / 1.00 GiB, 95.2 MiB/s, ETA 6s` */
export function formatProgress(s: ProgressSnapshot): string {
  const p = progressParts(s);
  return `${p.percent} ${p.bytes}, ${p.rate}${p.eta === undefined ? '' : `, ${p.eta}`}`;
}
