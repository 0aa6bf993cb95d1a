// The `expires` input: how long a presigned link stays valid. Pure: text in, seconds out.
//
// Grammar: a plain number of seconds (`600`), or whole numbers with units in falling order, each
// unit at most once: `7d`, `1h`, `30m`, `45s`, `2h30m`, `1d12h`. No fractions (`1.5h` is written
// `1h30m`), no spaces, lowercase units (`M` could be read as months).
import { InputError } from './errors.js';

/** The console's "Copy Temporary Link" default. */
export const EXPIRES_DEFAULT_SECONDS = 3600;
export const EXPIRES_MIN_SECONDS = 1;
/**
 * COS documents no upper bound for q-key-time (only that a link made with temporary credentials
 * dies with them). A link is a bearer credential, so we stop at seven days, the limit Amazon S3
 * sets for SigV4 links; sharing for longer belongs to a public-read ACL or a CDN, not to a link.
 */
export const EXPIRES_MAX_SECONDS = 7 * 86_400;

const UNITS = [
  ['d', 86_400],
  ['h', 3600],
  ['m', 60],
  ['s', 1],
] as const;

const STRICT = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
const RULE =
  "must be seconds ('600') or whole numbers with the units d, h, m, s in that order ('1h', '30m', '2h30m')";
const EXAMPLES = "e.g. '1h', '30m', '600' (seconds) or '2h30m'";

/** Seconds as the grammar writes them canonically: 3600 → `1h`, 9000 → `2h30m`, 90061 → `1d1h1m1s`. */
export function formatExpires(seconds: number): string {
  if (!Number.isSafeInteger(seconds) || seconds < 0)
    throw new RangeError(`not a whole number of seconds: ${seconds}`);
  if (seconds === 0) return '0s';
  let rest = seconds;
  let text = '';
  for (const [unit, size] of UNITS) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) text += `${count}${unit}`;
  }
  return text;
}

/**
 * What the user probably meant, read generously (any case, spaces, fractions, any order, units
 * repeated): whole seconds, or undefined. Only ever used to suggest a fix, never to accept.
 */
function generousSeconds(text: string): number | undefined {
  const compact = text.toLowerCase().replace(/\s+/g, '');
  const plain = /^\d+(?:\.\d+)?$/.test(compact);
  // A bare number after a unit ('1h30') could be minutes or seconds: no guess then.
  if (!plain && !/^(?:\d+(?:\.\d+)?[dhms])+$/.test(compact)) return undefined;
  let total = plain ? Number(compact) : 0;
  for (const [, number = '', unit = ''] of plain ? [] : compact.matchAll(/(\d+(?:\.\d+)?)([dhms])/g)) {
    total += Number(number) * (UNITS.find(([name]) => name === unit)?.[1] ?? 1);
  }
  const rounded = Math.round(total);
  return Math.abs(total - rounded) < 1e-9 ? rounded : undefined;
}

function outOfRange(seconds: number): string | undefined {
  if (seconds < EXPIRES_MIN_SECONDS) return `must be at least ${EXPIRES_MIN_SECONDS}s`;
  if (seconds > EXPIRES_MAX_SECONDS) {
    return `must be at most ${formatExpires(EXPIRES_MAX_SECONDS)} (${EXPIRES_MAX_SECONDS} seconds): a link is a credential`;
  }
  return undefined;
}

/** The seconds `value` states under the strict grammar, or undefined when it does not follow it. */
function strictSeconds(value: string): number | undefined {
  // Digit strings past 2^53 lose precision in Number(), but they are far past the maximum anyway.
  if (/^\d+$/.test(value)) return Number(value);
  const match = value === '' ? null : STRICT.exec(value);
  if (match === null) return undefined;
  let seconds = 0;
  for (const [index, [, size]] of UNITS.entries()) {
    const digits = match[index + 1];
    if (digits !== undefined) seconds += Number(digits) * size;
  }
  return seconds;
}

/** `expires` → seconds in EXPIRES_MIN_SECONDS..EXPIRES_MAX_SECONDS. Throws InputError naming `expires`. */
export function parseExpires(text: string): number {
  const value = text.trim();
  const fail = (rule: string, fix: string): InputError =>
    new InputError({ input: 'expires', value, rule, fix });
  const seconds = strictSeconds(value);
  if (seconds === undefined) {
    const meant = generousSeconds(value);
    throw fail(
      RULE,
      meant !== undefined && outOfRange(meant) === undefined ? `write '${formatExpires(meant)}'` : EXAMPLES,
    );
  }
  const problem = outOfRange(seconds);
  if (problem !== undefined) {
    const fix =
      seconds < EXPIRES_MIN_SECONDS
        ? "e.g. '1h' (the default)"
        : `e.g. '${formatExpires(EXPIRES_MAX_SECONDS)}' (the longest)`;
    throw fail(problem, fix);
  }
  return seconds;
}
