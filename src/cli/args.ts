// argv → raw inputs and the CLI's own switches. Every input is a flag of the same name; a mistyped
// flag is named, with the closest known one suggested.
import { INPUT_NAMES, INPUTS, type InputName, type InputSpec } from '../config/inputs.js';
import type { RawInputs } from '../config/parse.js';

/** A bad command line: exit status 2, before anything is read or sent. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The flag at fault, as typed (`--destinaton`, `-k`), when there is one. */
  readonly flag: string | undefined;

  constructor(message: string, flag?: string) {
    super(message);
    this.flag = flag;
  }
}

export const BOOLEAN_INPUTS: ReadonlySet<InputName> = new Set(
  INPUT_NAMES.filter((name) => {
    const fallback = (INPUTS[name] as InputSpec).default;
    return fallback === 'true' || fallback === 'false';
  }),
);

/** The CLI's own switches (not inputs), with their one-letter forms. */
export const SWITCHES = {
  json: { short: undefined, description: 'Print one JSON object on stdout (the schema is in the README).' },
  quiet: { short: 'q', description: 'Only warnings and errors on stderr: no progress, no info lines.' },
  verbose: { short: 'v', description: 'Also debug lines: each request, retry and decision, error codes.' },
  help: { short: 'h', description: 'Print this help.' },
  version: { short: 'V', description: 'Print the version.' },
} as const satisfies Record<string, { short: string | undefined; description: string }>;

export type SwitchName = keyof typeof SWITCHES;

export interface CliArgs {
  readonly inputs: RawInputs;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly help: boolean;
  readonly version: boolean;
}

/** Every long flag the CLI knows, `--no-…` forms included, without the dashes. */
export function knownFlags(): string[] {
  return [...INPUT_NAMES, ...[...BOOLEAN_INPUTS].map((name) => `no-${name}`), ...Object.keys(SWITCHES)];
}

/** Optimal string alignment distance: edits, with a swap of two neighbours counted as one. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] as number;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The known name closest to `typed`: a small edit distance (1 for short names, 2 from 5 letters,
 * 3 from 10), or the one name `typed` is the start of. Undefined when nothing is close.
 */
export function closest(typed: string, known: readonly string[]): string | undefined {
  const word = typed.toLowerCase().replaceAll('_', '-');
  const limit = word.length >= 10 ? 3 : word.length >= 5 ? 2 : 1;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const name of known) {
    const distance = editDistance(word, name);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  if (best !== undefined && bestDistance <= limit) return best;
  const starting = known.filter((name) => word.length >= 3 && name.startsWith(word));
  return starting.length === 1 ? starting[0] : undefined;
}

function unknownFlag(typed: string): UsageError {
  const long = typed.startsWith('--');
  let guess: string | undefined;
  if (long) {
    guess = closest(typed.slice(2), knownFlags());
  } else {
    // `-k`: one letter; the long flag it most likely stands for is the only one starting with it.
    const letter = typed.slice(1, 2).toLowerCase();
    const starting = INPUT_NAMES.filter((name) => name.startsWith(letter));
    guess = typed.length === 2 && starting.length === 1 ? starting[0] : closest(typed.slice(1), knownFlags());
  }
  const shorts = Object.values(SWITCHES)
    .map((s) => s.short)
    .filter((s) => s !== undefined)
    .map((s) => `-${s}`)
    .join(', ');
  const hint = guess === undefined ? '' : ` Did you mean --${guess}?`;
  const rest = long
    ? " Run 'cos-download --help' for the options."
    : ` The one-letter options are ${shorts}; every other option is spelled out (--key, --bucket, …).`;
  return new UsageError(`unknown option '${typed}'.${hint}${rest}`, typed);
}

/** `--name value`, `--name=value`; boolean inputs also as bare `--name` / `--no-name`. */
export function parseArgs(argv: readonly string[]): CliArgs {
  const inputs: RawInputs = {};
  const switches: Record<SwitchName, boolean> = {
    json: false,
    quiet: false,
    verbose: false,
    help: false,
    version: false,
  };
  const known = new Set<string>(INPUT_NAMES);
  const shortSwitch = new Map<string, SwitchName>();
  for (const [name, spec] of Object.entries(SWITCHES)) {
    if (spec.short !== undefined) shortSwitch.set(`-${spec.short}`, name as SwitchName);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const short = shortSwitch.get(arg);
    if (short !== undefined) {
      switches[short] = true;
      continue;
    }
    if (arg.startsWith('--') && Object.hasOwn(SWITCHES, arg.slice(2))) {
      switches[arg.slice(2) as SwitchName] = true;
      continue;
    }
    if (arg === '--') {
      throw new UsageError("'--' ends no option list here: every value belongs to an option", arg);
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      let name = arg.slice(2, eq === -1 ? undefined : eq);
      let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
      if (value === undefined && name.startsWith('no-') && BOOLEAN_INPUTS.has(name.slice(3) as InputName)) {
        name = name.slice(3);
        value = 'false';
      }
      if (!known.has(name)) throw unknownFlag(`--${name}`);
      const input = name as InputName;
      if (value === undefined) {
        const next = argv[i + 1];
        if (
          BOOLEAN_INPUTS.has(input) &&
          (next === undefined || next.startsWith('-') || !/^(true|false)$/i.test(next))
        ) {
          value = 'true';
        } else if (next === undefined || /^--[a-z]/.test(next)) {
          // `--secret-id $UNSET --secret-key KEY` must not take '--secret-key' as the id and then
          // echo KEY back as a stray argument: an option never takes the next option as its value.
          throw new UsageError(
            `option '--${name}' needs a value, e.g. --${name} VALUE or --${name}=VALUE`,
            `--${name}`,
          );
        } else {
          value = next;
          i++;
        }
      }
      if (input in inputs && input !== 'include' && input !== 'exclude') {
        throw new UsageError(`option '--${name}' is given twice`, `--${name}`);
      }
      inputs[input] = input in inputs ? `${inputs[input]}\n${value}` : value;
    } else if (/^-[^\d-]/.test(arg)) {
      throw unknownFlag(arg.split('=')[0] as string);
    } else {
      // Not echoed: a stray argument is often half of a value that lost its quotes, a key perhaps.
      const after = argv
        .slice(0, i)
        .findLast((earlier) => earlier.startsWith('-'))
        ?.split('=')[0];
      const command = i === 0 ? closest(arg, ['emulator']) : undefined;
      if (command !== undefined) {
        throw new UsageError(`unknown command '${arg}'. Did you mean 'cos-download ${command}'?`);
      }
      throw new UsageError(
        `unexpected argument #${i + 1}${after === undefined ? '' : ` (after '${after}')`}, not shown in case it is a secret; ` +
          "options start with '--', and a value with spaces needs quotes. Run 'cos-download --help'.",
      );
    }
  }
  return { inputs, ...switches };
}
