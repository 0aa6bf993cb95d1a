// The CLI's exit codes: one table, printed by --help and copied in the README (a test compares).

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** 128 + SIGINT (2): Ctrl-C. */
export const EXIT_INTERRUPTED = 130;
/** 128 + SIGTERM (15): `kill`, a cancelled CI job, `timeout`. */
export const EXIT_TERMINATED = 143;

export type ExitCode =
  | typeof EXIT_OK
  | typeof EXIT_FAILURE
  | typeof EXIT_USAGE
  | typeof EXIT_INTERRUPTED
  | typeof EXIT_TERMINATED;

export const EXIT_CODES: ReadonlyArray<{ readonly code: ExitCode; readonly meaning: string }> = [
  {
    code: EXIT_OK,
    meaning: 'success, also when nothing needed downloading (unchanged, not modified, dry run)',
  },
  {
    code: EXIT_FAILURE,
    meaning: 'failure: COS refused, the network or the disk failed, a check did not hold',
  },
  { code: EXIT_USAGE, meaning: 'usage error: a bad flag or input, found before any request' },
  {
    code: EXIT_INTERRUPTED,
    meaning:
      'interrupted by Ctrl-C (SIGINT): a large download keeps its progress (a line says how much); ' +
      'run the same command again to resume',
  },
  {
    code: EXIT_TERMINATED,
    meaning: 'terminated by SIGTERM (kill, a cancelled CI job); progress kept as for 130',
  },
];

/** The signals the CLI stops on, and how it exits after each. */
export const SIGNAL_EXIT = { SIGINT: EXIT_INTERRUPTED, SIGTERM: EXIT_TERMINATED } as const;

export type StopSignal = keyof typeof SIGNAL_EXIT;

/** The reason an interrupted run's AbortSignal carries. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
  readonly signal: StopSignal;

  constructor(signal: StopSignal) {
    super(signal === 'SIGINT' ? 'interrupted (Ctrl-C)' : 'terminated (SIGTERM)');
    this.signal = signal;
  }
}
