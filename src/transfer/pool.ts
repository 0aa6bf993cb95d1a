// Tasks run a bounded number at a time, with one cancellation for all of them: the parts of an
// object (fail-fast: the first failure stops its siblings) and a mirror's objects (each task
// reports its own failure; the pool bounds how many are in flight and stops them on cancel).
// Requests themselves are bounded by the p-limit the tasks share, not here.

export interface PoolOptions {
  /** Cancels every task. */
  readonly signal: AbortSignal;
  /** Tasks in flight at once; `add` waits while this many run (default: no bound). */
  readonly maxActive?: number;
  /** The first task to fail aborts the others, and `drain` throws its error. */
  readonly failFast: boolean;
}

export class TaskPool {
  readonly #active = new Set<Promise<void>>();
  readonly #controller = new AbortController();
  readonly #maxActive: number;
  readonly #failFast: boolean;
  #failure: { readonly error: unknown } | undefined;

  constructor(options: PoolOptions) {
    this.#maxActive = options.maxActive ?? Number.POSITIVE_INFINITY;
    this.#failFast = options.failFast;
    const outer = options.signal;
    if (outer.aborted) this.#controller.abort(outer.reason);
    else outer.addEventListener('abort', () => this.#controller.abort(outer.reason), { once: true });
  }

  /** Aborted on cancellation, and (fail-fast) at the first failure. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Starts `task` once fewer than `maxActive` run. */
  async add(task: (signal: AbortSignal) => Promise<void>): Promise<void> {
    while (this.#active.size >= this.#maxActive) await Promise.race(this.#active);
    const signal = this.#controller.signal;
    const run = (async () => {
      signal.throwIfAborted();
      await task(signal);
    })().catch((error: unknown) => {
      if (this.#failure !== undefined) return;
      this.#failure = { error };
      if (this.#failFast) this.#controller.abort(error);
    });
    this.#active.add(run);
    void run.finally(() => this.#active.delete(run));
  }

  /** Waits for every task, then throws the first failure, if any. */
  async drain(): Promise<void> {
    while (this.#active.size > 0) await Promise.all(this.#active);
    if (this.#failure !== undefined) throw this.#failure.error;
  }
}
