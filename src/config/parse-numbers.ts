// Inputs that are numbers: sizes, byte ranges, shards, rates, counts and durations. Exact arithmetic
// (BigInt), digits only: `10MB`, `1e3` or `-1` are refused with the fix, never read as something else.
import type { ByteRange, Shard } from '../base/request.js';
import { InputError } from './errors.js';
import type { InputName } from './inputs.js';
import { MiB, TRAFFIC_LIMIT_MAX, TRAFFIC_LIMIT_MIN } from './options.js';

const KiB = 1024;
const GiB = 1024 * MiB;
export const PART_SIZE_MIN = 512 * KiB;
export const PART_SIZE_MAX = 5 * GiB;
export const SHARD_COUNT_MAX = 1024;
export const TIMEOUT_MAX_MS = 3_600_000;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** `int.frac` × factor, exactly; undefined when the product is not a whole number. */
function exactProduct(int: string, frac: string, factor: number): bigint | undefined {
  const scale = 10n ** BigInt(frac.length);
  const scaled = BigInt(`${int}${frac}`) * BigInt(factor);
  return scaled % scale === 0n ? scaled / scale : undefined;
}

/** A whole number given as digits, if it is a safe integer. */
function safeDigits(digits: string): number | undefined {
  const value = BigInt(digits);
  return value <= MAX_SAFE ? Number(value) : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Sizes

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': MiB,
  b: 1,
  kib: KiB,
  mib: MiB,
  gib: GiB,
  tib: 1024 * GiB,
};
const SI_UNITS: Readonly<Record<string, string>> = {
  k: 'KiB',
  kb: 'KiB',
  m: 'MiB',
  mb: 'MiB',
  g: 'GiB',
  gb: 'GiB',
  t: 'TiB',
  tb: 'TiB',
};
const SIZE_RULE =
  'a size is a number with a binary unit (512KiB, 8MiB, 1.5GiB) or a plain number of MiB, more than 0 bytes';

/** `512KiB`, `8MiB`, `1.5GiB`, `1048576B`, or a plain number of MiB (`20` = 20MiB) → bytes. */
export function parseSize(name: InputName, text: string): number {
  const value = text.trim();
  const match = /^(\d+)(?:\.(\d+))? ?([a-z]*)$/i.exec(value);
  const fail = (rule: string, fix = "e.g. '20MiB'"): InputError =>
    new InputError({ input: name, value, rule, fix });
  if (match === null) throw fail(SIZE_RULE);
  const [, int = '', frac = '', unitText = ''] = match;
  const unit = unitText.toLowerCase();
  const factor = SIZE_UNITS[unit];
  if (factor === undefined) {
    const binary = SI_UNITS[unit];
    if (binary !== undefined) {
      throw fail(
        `'${unitText}' is ambiguous (powers of 1000 or of 1024); sizes use the binary units KiB, MiB, GiB`,
        `write '${int}${frac === '' ? '' : `.${frac}`}${binary}'`,
      );
    }
    throw fail(`unknown unit '${unitText}': ${SIZE_RULE}`);
  }
  const bytes = exactProduct(int, frac, factor);
  if (bytes === undefined) {
    const whole = (BigInt(`${int}${frac}`) * BigInt(factor)) / 10n ** BigInt(frac.length);
    throw fail('must be a whole number of bytes', `round it, e.g. '${whole}B'`);
  }
  if (bytes === 0n) throw fail(`must be more than 0 bytes`);
  if (bytes > MAX_SAFE) throw fail(`too large: at most ${Number.MAX_SAFE_INTEGER} bytes`);
  return Number(bytes);
}

function formatSize(bytes: number): string {
  for (const [unit, factor] of [
    ['GiB', GiB],
    ['MiB', MiB],
    ['KiB', KiB],
  ] as const) {
    if (bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return `${bytes}B`;
}

/** `part-size`: a size in PART_SIZE_MIN..PART_SIZE_MAX. */
export function parsePartSize(text: string): number {
  const bytes = parseSize('part-size', text);
  if (bytes < PART_SIZE_MIN || bytes > PART_SIZE_MAX) {
    throw new InputError({
      input: 'part-size',
      value: text.trim(),
      rule: `must be between ${formatSize(PART_SIZE_MIN)} and ${formatSize(PART_SIZE_MAX)} (got ${formatSize(bytes)})`,
      fix: `e.g. '${bytes < PART_SIZE_MIN ? formatSize(PART_SIZE_MIN) : formatSize(PART_SIZE_MAX)}' or '20MiB'`,
    });
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------------------
// Range, shard, traffic limit

const RANGE_FORMS = '(bytes=first-last, bytes=first- or bytes=-suffix)';

/** One HTTP byte range: `bytes=a-b` (a ≤ b), `bytes=a-`, `bytes=-n` (n > 0). */
export function parseRange(text: string): ByteRange {
  const value = text.trim();
  const fail = (rule: string, fix = "e.g. 'bytes=0-1023'"): InputError =>
    new InputError({ input: 'range', value, rule: `${rule} ${RANGE_FORMS}`, fix });
  if (value.includes(','))
    throw fail('only one range is allowed', "download one range per step, e.g. 'bytes=0-1023'");
  if (/\s/.test(value)) {
    const squeezed = value.replace(/\s+/g, '');
    throw fail(
      'must not contain spaces',
      /^bytes=\d*-\d*$/i.test(squeezed) ? `write '${squeezed}'` : undefined,
    );
  }
  if (!/^bytes=/i.test(value)) {
    throw fail("must start with 'bytes='", /^\d*-\d*$/.test(value) ? `write 'bytes=${value}'` : undefined);
  }
  const match = /^bytes=(\d*)-(\d*)$/i.exec(value);
  if (match === null) throw fail('must be one range of whole byte positions');
  const [, firstText = '', lastText = ''] = match;
  if (firstText === '' && lastText === '') throw fail('needs a first byte, a last byte, or both');
  const first = firstText === '' ? undefined : safeDigits(firstText);
  const last = lastText === '' ? undefined : safeDigits(lastText);
  if ((firstText !== '' && first === undefined) || (lastText !== '' && last === undefined)) {
    throw fail(`byte positions must be at most ${Number.MAX_SAFE_INTEGER}`);
  }
  if (first === undefined) {
    if (last === undefined || last === 0)
      throw fail('the suffix length must be more than 0', "e.g. 'bytes=-1024'");
    return { kind: 'suffix', length: last };
  }
  if (last === undefined) return { kind: 'from', first };
  if (last < first) throw fail('the last byte must not be before the first', `e.g. 'bytes=${last}-${first}'`);
  return { kind: 'closed', first, last };
}

/** `i/n` with 1 ≤ i ≤ n ≤ SHARD_COUNT_MAX (1-based, like a matrix index + 1). */
export function parseShard(text: string): Shard {
  const value = text.trim();
  const rule = `must be 'i/n' with 1 ≤ i ≤ n ≤ ${SHARD_COUNT_MAX} (shard i of n, counted from 1)`;
  const fail = (detail: string, fix: string): InputError =>
    new InputError({ input: 'shard', value, rule: detail === '' ? rule : `${rule}; ${detail}`, fix });
  const match = /^(\d+)\/(\d+)$/.exec(value);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, shown to the user
  const matrixFix = "e.g. '1/2', or '${{ matrix.shard }}/2' with 'matrix: { shard: [1, 2] }'";
  if (match === null) throw fail('', matrixFix);
  const [, indexText = '', countText = ''] = match;
  const index = safeDigits(indexText) ?? Number.POSITIVE_INFINITY;
  const count = safeDigits(countText) ?? Number.POSITIVE_INFINITY;
  if (count < 1 || count > SHARD_COUNT_MAX) throw fail(`n = ${countText} is out of range`, "e.g. '1/2'");
  if (index < 1) throw fail('shards are counted from 1', `e.g. '1/${count}' for the first shard`);
  if (index > count)
    throw fail(
      `i = ${indexText} is more than n = ${countText}`,
      `e.g. '${count}/${count}' for the last shard`,
    );
  return { index, count };
}

const TRAFFIC_RULE =
  `must be a whole number of bit/s in ${TRAFFIC_LIMIT_MIN}..${TRAFFIC_LIMIT_MAX} ` +
  `(${TRAFFIC_LIMIT_MIN} bit/s = 100 KiB/s, ${TRAFFIC_LIMIT_MAX} bit/s = 100 MiB/s)`;

/** `x-cos-traffic-limit` in bit/s, TRAFFIC_LIMIT_MIN..TRAFFIC_LIMIT_MAX. */
export function parseTrafficLimit(text: string): number {
  const value = text.trim();
  const fail = (fix: string): InputError =>
    new InputError({ input: 'traffic-limit', value, rule: TRAFFIC_RULE, fix });
  if (!/^\d+$/.test(value)) throw fail("e.g. '8388608' (1 MiB/s = 1048576 bytes/s × 8)");
  const bits = safeDigits(value) ?? Number.POSITIVE_INFINITY;
  if (bits < TRAFFIC_LIMIT_MIN) throw fail(`e.g. '${TRAFFIC_LIMIT_MIN}' (the lowest limit)`);
  if (bits > TRAFFIC_LIMIT_MAX)
    throw fail(`e.g. '${TRAFFIC_LIMIT_MAX}' (the highest limit), or leave it unset`);
  return bits;
}

// ---------------------------------------------------------------------------------------------------------
// Integers, timeouts

/** A whole number in min..max, digits only (no sign, no exponent, no fraction). */
export function parseInteger(name: InputName, text: string, min: number, max: number): number {
  const value = text.trim();
  const number = /^\d+$/.test(value) ? safeDigits(value) : undefined;
  if (number === undefined || number < min || number > max) {
    throw new InputError({
      input: name,
      value,
      rule: `must be a whole number in ${min}..${max}`,
      fix: `e.g. '${Math.min(Math.max(number ?? min, min), max)}'`,
    });
  }
  return number;
}

const TIME_UNITS: Readonly<Record<string, number>> = { '': 1000, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Seconds (`60`), or with a unit: `500ms`, `30s`, `2m`, `1h`; more than 0, at most 1h → milliseconds. */
export function parseTimeout(text: string): number {
  const value = text.trim();
  const fail = (rule: string): InputError =>
    new InputError({ input: 'timeout', value, rule, fix: "e.g. '60s', '500ms' or '2m'" });
  const match = /^(\d+)(?:\.(\d+))?(ms|s|m|h|)$/.exec(value);
  if (match === null) throw fail("must be seconds, or a number with a unit 'ms', 's', 'm' or 'h'");
  const [, int = '', frac = '', unit = ''] = match;
  const ms = exactProduct(int, frac, TIME_UNITS[unit] ?? 1000);
  if (ms === undefined) throw fail('must be a whole number of milliseconds');
  if (ms === 0n) throw fail('must be more than 0');
  if (ms > BigInt(TIMEOUT_MAX_MS)) throw fail('must be at most 1h');
  return Number(ms);
}
