// What the CLI writes to stderr while it runs: log lines, and on a terminal one live progress bar
// under them. The bar owns the last line: it is cleared before any other line is written and drawn
// again after it, and it is cut to the terminal's width so it never wraps.
import {
  ANNOUNCE_BYTES,
  formatBytes,
  formatProgress,
  Progress,
  type ProgressSnapshot,
  progressParts,
} from '../core/progress.js';

export interface ErrStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  /** The terminal's width; undefined when not a terminal. */
  readonly columns?: number | undefined;
}

const CLEAR_LINE = '\r\x1b[K';
const BAR_MIN = 10;
const BAR_MAX = 30;

/**
 * Columns the bar leaves free at the right edge: the cursor must not reach the last column, where
 * terminals wrap, and the `^C` a terminal echoes on Ctrl-C must fit beside it.
 */
const MARGIN = 3;

/**
 * The progress line that fits `columns`: the bar and every figure when there is room, then without
 * the byte counts, then without the rate, then without the bar.
 */
export function fitBar(snapshot: ProgressSnapshot, columns: number): string {
  const room = Math.max(1, columns - MARGIN);
  const p = progressParts(snapshot);
  const eta = p.eta === undefined ? '' : `, ${p.eta}`;
  const texts = [
    `${p.percent} ${p.bytes}, ${p.rate}${eta}`,
    `${p.percent} ${p.rate}${eta}`,
    `${p.percent}${eta}`,
  ];
  const fraction = snapshot.total > 0 ? Math.min(1, snapshot.done / snapshot.total) : 1;
  for (const text of texts) {
    const width = Math.min(BAR_MAX, room - text.length - 3);
    if (width >= BAR_MIN) {
      const filled = Math.round(fraction * width);
      return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`;
    }
  }
  for (const text of texts) if (text.length <= room) return text;
  return (texts.at(-1) as string).slice(0, room);
}

export interface PrinterOptions {
  /** Draw progress at all (off with --quiet and --json). */
  readonly progress: boolean;
  /** How often the bar is redrawn on a terminal, and a plain line written elsewhere. */
  readonly ttyIntervalMs?: number;
  readonly plainIntervalMs?: number;
  readonly now?: () => number;
}

/** A live bar on a terminal, a plain line every 10 s otherwise; log lines never share its line. */
export class ProgressPrinter {
  readonly #out: ErrStream;
  readonly #options: PrinterOptions;
  readonly #now: () => number;
  #progress: Progress | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The bar is on screen (the cursor is at the end of its line). */
  #drawn = false;
  #stopped = false;

  constructor(out: ErrStream, options: PrinterOptions) {
    this.#out = out;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get #tty(): boolean {
    return this.#out.isTTY === true;
  }

  /** An object starts: `length` bytes to have, `alreadyOnDisk` of them kept from an earlier run. */
  start(key: string, length: number, alreadyOnDisk = 0): void {
    // Counted even when not shown: an interrupted run says how far it got.
    this.#progress ??= new Progress(this.#now());
    this.#progress.addTotal(length, alreadyOnDisk);
    if (!this.#options.progress || this.#stopped) return;
    if (!this.#tty && length >= ANNOUNCE_BYTES) {
      const kept = alreadyOnDisk > 0 ? `, ${formatBytes(alreadyOnDisk)} already on disk` : '';
      this.#out.write(`downloading ${key} (${formatBytes(length)}${kept})\n`);
    }
    if (this.#timer === undefined) {
      const every = this.#tty
        ? (this.#options.ttyIntervalMs ?? 200)
        : (this.#options.plainIntervalMs ?? 10_000);
      this.#timer = setInterval(() => this.#draw(), every);
      this.#timer.unref();
    }
  }

  add(count: number): void {
    this.#progress?.add(count);
  }

  /** How far the run got: bytes in place (kept and fetched) of the total, e.g. `800.0 KiB of 3.00 MiB`. */
  reached(): string | undefined {
    if (this.#progress === undefined) return undefined;
    const { done, total } = this.#progress.snapshot(this.#now());
    return `${formatBytes(done)} of ${formatBytes(total)}`;
  }

  /** A line of its own: the bar is cleared first and drawn again after it. */
  line(text: string): void {
    if (this.#drawn) this.#out.write(CLEAR_LINE);
    this.#drawn = false;
    this.#out.write(`${text}\n`);
    if (this.#timer !== undefined && !this.#stopped && this.#tty) this.#draw();
  }

  /**
   * No more progress: on a terminal the bar is drawn one last time and left as a line of its own
   * (`keep`), or erased. Later lines go under it. Idempotent.
   */
  stop(keep = true): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (!this.#drawn) return;
    if (keep) {
      this.#draw(true);
      this.#out.write('\n');
    } else {
      this.#out.write(CLEAR_LINE);
    }
    this.#drawn = false;
  }

  #draw(last = false): void {
    if (this.#progress === undefined || !this.#options.progress || (this.#stopped && !last)) return;
    const snapshot = this.#progress.snapshot(this.#now());
    if (this.#tty) {
      this.#out.write(`${CLEAR_LINE}${fitBar(snapshot, this.#out.columns ?? 80)}`);
      this.#drawn = true;
    } else {
      this.#out.write(`${formatProgress(snapshot)}\n`);
    }
  }
}
