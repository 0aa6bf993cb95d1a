// Raw inputs (strings, as the action or the CLI reads them) → the typed, deep-frozen Options the core runs
// on. Every check happens here, before any request. Pure: no I/O besides the injected `isDirectory`.
import path from 'node:path';
import type {
  ByteRange,
  Conditions,
  Credentials,
  Overwrite,
  ResponseOverrides,
  Shard,
} from '../base/request.js';
import { hasControlCharacter, quoteValue } from '../base/text.js';
import { resolveEndpoint } from './endpoint.js';
import { InputError } from './errors.js';
import { CREDENTIAL_ENV, INPUTS, type InputName, type InputSpec } from './inputs.js';
import {
  MiB,
  type ObjectTarget,
  type Options,
  type PrefixTarget,
  TRAFFIC_LIMIT_MAX,
  TRAFFIC_LIMIT_MIN,
} from './options.js';

/** Inputs as read: `''` (how `@actions/core` returns an unset input) and blank values count as absent. */
export type RawInputs = Partial<Record<InputName, string>>;

export interface ParseContext {
  /** Absolute path of the workspace: `destination` is relative to it. */
  readonly cwd: string;
  /** Environment, for the credential fallbacks in CREDENTIAL_ENV. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether the absolute path is an existing folder (for the `destination` rule of `key`). */
  readonly isDirectory: (absolutePath: string) => boolean;
}

const KiB = 1024;
const GiB = 1024 * MiB;
export const PART_SIZE_MIN = 512 * KiB;
export const PART_SIZE_MAX = 5 * GiB;
export const SHARD_COUNT_MAX = 1024;
export const TIMEOUT_MAX_MS = 3_600_000;
export const CONCURRENCY_RANGE = { min: 1, max: 64 } as const;
export const RETRIES_RANGE = { min: 0, max: 20 } as const;

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
// Scalars: booleans, integers, timeouts, dates, enums

/** `true` / `false` as YAML 1.2 core schema spells them: `true|True|TRUE|false|False|FALSE`. */
export function parseBoolean(name: InputName, text: string): boolean {
  const value = text.trim();
  if (/^(?:true|True|TRUE)$/.test(value)) return true;
  if (/^(?:false|False|FALSE)$/.test(value)) return false;
  throw new InputError({ input: name, value, rule: 'must be true or false', fix: "write 'true' or 'false'" });
}

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

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const HTTP_DATE = new RegExp(
  `^(${WEEKDAYS.join('|')}), (\\d{2}) (${MONTHS.join('|')}) (\\d{4}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`,
);
const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;

/** Milliseconds since the epoch for calendar fields, or undefined when a field is out of range. */
function utcTime(year: number, month: number, day: number, hour: number, minute: number, second: number) {
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59 || day < 1) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getUTCDate() === day ? date.getTime() : undefined;
}

/** An RFC 9110 (7231) HTTP date `Wed, 21 Oct 2015 07:28:00 GMT`, or ISO 8601 (`2015-10-21`, `…T07:28:00Z`). */
export function parseDate(name: InputName, text: string): Date {
  const value = text.trim();
  const fail = (
    rule: string,
    fix = "e.g. 'Wed, 21 Oct 2015 07:28:00 GMT' or '2015-10-21T07:28:00Z'",
  ): InputError => new InputError({ input: name, value, rule, fix });
  const RULE = 'must be an HTTP date or an ISO 8601 date (time with a zone)';
  const http = HTTP_DATE.exec(value);
  if (http !== null) {
    const [, weekday = '', day = '', month = '', year = '', hour = '', minute = '', second = ''] = http;
    const time = utcTime(
      Number(year),
      MONTHS.indexOf(month as (typeof MONTHS)[number]) + 1,
      Number(day),
      Number(hour),
      Number(minute),
      Number(second),
    );
    if (time === undefined) throw fail(`${RULE}; no such day or time`);
    const date = new Date(time);
    if (WEEKDAYS[date.getUTCDay()] !== weekday) {
      throw fail(`${RULE}; ${day} ${month} ${year} is not a ${weekday}`, `write '${date.toUTCString()}'`);
    }
    return date;
  }
  const iso = ISO_DATE.exec(value);
  if (iso === null) throw fail(RULE);
  const [, year = '', month = '', day = '', hour, minute = '0', second = '0', fraction = '', zone] = iso;
  if (hour !== undefined && zone === undefined) {
    throw fail(
      `${RULE}; a time without a zone is ambiguous`,
      `write '${value}Z' for UTC, or add an offset like +08:00`,
    );
  }
  const local = utcTime(
    Number(year),
    Number(month),
    Number(day),
    Number(hour ?? 0),
    Number(minute),
    Number(second),
  );
  if (local === undefined) throw fail(`${RULE}; no such day or time`);
  let offsetMinutes = 0;
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const offsetHours = Number(digits.slice(0, 2));
    const offsetMins = Number(digits.slice(2));
    if (offsetHours > 23 || offsetMins > 59) throw fail(`${RULE}; no such time zone offset ${zone}`);
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const millis = Number(fraction.padEnd(3, '0').slice(0, 3));
  return new Date(local - offsetMinutes * 60_000 + millis);
}

/** `changed`, `always` or `never`. */
export function parseOverwrite(text: string): Overwrite {
  const value = text.trim();
  if (value === 'changed' || value === 'always' || value === 'never') return value;
  throw new InputError({
    input: 'overwrite',
    value,
    rule: "must be 'changed' (skip files that match the remote), 'always' or 'never'",
    fix: "e.g. 'changed'",
  });
}

// ---------------------------------------------------------------------------------------------------------
// Bucket, region

const BUCKET_RULE =
  "must be BucketName-APPID: lowercase letters, digits and '-' (not first or last), then '-' and the " +
  'numeric APPID, at most 60 characters';
const BUCKET_FIX = "e.g. 'examplebucket-1250000000'";
const BUCKET_MAX = 60;

/** COS bucket `BucketName-APPID`, e.g. `examplebucket-1250000000`. */
export function parseBucket(text: string): string {
  const value = text.trim();
  const fail = (detail: string, fix = BUCKET_FIX): InputError =>
    new InputError({
      input: 'bucket',
      value,
      rule: detail === '' ? BUCKET_RULE : `${BUCKET_RULE}; ${detail}`,
      fix,
    });
  if (value.length > BUCKET_MAX) throw fail(`this one has ${value.length}`);
  if (/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-\d+$/.test(value)) return value;
  if (/[A-Z]/.test(value) && /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-\d+$/.test(value.toLowerCase())) {
    throw fail('no capital letters', `write '${value.toLowerCase()}'`);
  }
  if (/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(value) && !/-\d+$/.test(value)) {
    throw fail('the APPID is missing', `append your APPID, e.g. '${value}-1250000000'`);
  }
  throw fail('');
}

/** Region codes of the old (v4) API, mapped to today's names for the fix. */
const LEGACY_REGIONS: Readonly<Record<string, string>> = {
  gz: 'ap-guangzhou',
  sh: 'ap-shanghai',
  tj: 'ap-beijing-1',
  bj: 'ap-beijing',
  cd: 'ap-chengdu',
  sgp: 'ap-singapore',
  hk: 'ap-hongkong',
  ca: 'na-toronto',
  ger: 'eu-frankfurt',
};
const REGION_RULE = "must be a COS region like 'ap-guangzhou', 'na-siliconvalley' or 'ap-shanghai-fsi'";

/** COS region, e.g. `ap-guangzhou`, `na-siliconvalley`, `ap-shanghai-fsi`, `ap-beijing-1`. */
export function parseRegion(text: string): string {
  const value = text.trim();
  const fail = (detail: string, fix = "e.g. 'ap-guangzhou'"): InputError =>
    new InputError({
      input: 'region',
      value,
      rule: detail === '' ? REGION_RULE : `${REGION_RULE}; ${detail}`,
      fix,
    });
  const valid = (candidate: string) =>
    candidate.length <= 32 && /^[a-z]{2}-[a-z]+(?:-[a-z0-9]+)*$/.test(candidate);
  if (valid(value)) return value;
  const lower = value.toLowerCase();
  if (lower === 'accelerate') {
    throw fail(
      "'accelerate' is a domain, not a region",
      "set 'accelerate: true' and the bucket's region, e.g. 'ap-guangzhou'",
    );
  }
  if (lower.startsWith('cos.') && valid(lower.slice(4))) {
    throw fail("without the 'cos.' prefix", `write '${lower.slice(4)}'`);
  }
  if (value !== lower && valid(lower)) throw fail('lowercase only', `write '${lower}'`);
  const modern = LEGACY_REGIONS[lower];
  if (modern !== undefined) throw fail('old short codes are not accepted', `write '${modern}'`);
  throw fail('');
}

// ---------------------------------------------------------------------------------------------------------
// Globs, SSE-C key, free text

/** Newline-separated globs: each line trimmed; blank lines and lines starting with `#` dropped. */
export function parseGlobs(name: InputName, text: string): readonly string[] {
  const globs: string[] = [];
  for (const line of text.split(/\r?\n|\r/)) {
    const glob = line.trim();
    if (glob === '' || glob.startsWith('#')) continue;
    const fail = (rule: string, fix: string): InputError =>
      new InputError({ input: name, value: glob, rule, fix });
    if (hasControlCharacter(glob)) throw fail('a glob must not contain control characters', 'remove them');
    if (glob.startsWith('/')) {
      throw fail(
        "globs match the key relative to 'prefix', so they never start with '/'",
        `write '${glob.replace(/^\/+/, '')}'`,
      );
    }
    globs.push(glob);
  }
  return globs;
}

/** SSE-C key: standard base64 of exactly 32 bytes (AES-256). The value never appears in a message. */
export function parseSseKey(text: string): string {
  const value = text.trim();
  const fail = (detail: string): InputError =>
    new InputError({
      input: 'sse-customer-key',
      value,
      rule: `must be standard base64 of exactly 32 bytes (an AES-256 key); ${detail}`,
      fix: "generate one with 'openssl rand -base64 32' and keep it in a secret",
    });
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw fail('it is not base64 (A-Z a-z 0-9 + / and = padding)');
  }
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64') !== value) throw fail('its padding is wrong');
  if (bytes.length !== 32) throw fail(`it decodes to ${bytes.length} bytes`);
  return value;
}

/** Text sent in a header or a query: no control characters (no header injection). */
function parseText(name: InputName, text: string, rule = 'must not contain control characters'): string {
  if (hasControlCharacter(text)) {
    throw new InputError({
      input: name,
      value: text,
      rule,
      fix: 'remove line breaks and control characters',
    });
  }
  return text;
}

/** Credentials go into headers: printable ASCII, no spaces. */
function parseCredential(name: InputName, text: string, source: string): string {
  const value = text.trim();
  if (!/^[\x21-\x7e]+$/.test(value)) {
    throw new InputError({
      input: name,
      value,
      rule: `${source} must be printable ASCII without spaces`,
      fix: 'copy the value again from the Tencent Cloud console (CAM → API keys)',
    });
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------
// parseOptions

const OBJECT_ONLY = [
  'version-id',
  'range',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-content-type',
  'response-expires',
] as const satisfies readonly InputName[];

const PREFIX_ONLY = ['include', 'exclude', 'shard'] as const satisfies readonly InputName[];

type Reader = (name: InputName) => string | undefined;

function defaultOf(name: InputName): string {
  const fallback = (INPUTS[name] as InputSpec).default;
  if (fallback === undefined) throw new TypeError(`input '${name}' has no default in INPUTS`);
  return fallback;
}

function parseCredentials(get: Reader, env: ParseContext['env']): Credentials | undefined {
  const fromEnv = (name: string | undefined): string | undefined => {
    const value = name === undefined ? undefined : env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  };
  /** `sources` name where each value came from, for messages: `'secret-id'` or `env COS_SECRET_ID`. */
  const build = (
    id: string,
    key: string,
    token: string | undefined,
    sources: readonly [string, string, string],
  ) => ({
    secretId: parseCredential('secret-id', id, sources[0]),
    secretKey: parseCredential('secret-key', key, sources[1]),
    ...(token === undefined ? {} : { sessionToken: parseCredential('session-token', token, sources[2]) }),
  });
  const token = get('session-token');
  const id = get('secret-id');
  const key = get('secret-key');
  if (id !== undefined || key !== undefined) {
    if (id === undefined || key === undefined) {
      const [given, missing]: [InputName, InputName] =
        id === undefined ? ['secret-key', 'secret-id'] : ['secret-id', 'secret-key'];
      throw new InputError({
        input: missing,
        rule: `required because '${given}' is set (keys come in pairs)`,
        fix: `set '${missing}' too, or remove '${given}' to use the environment or anonymous access`,
      });
    }
    return build(id, key, token, ["'secret-id'", "'secret-key'", "'session-token'"]);
  }
  const families = CREDENTIAL_ENV.secretId.length;
  for (let i = 0; i < families; i++) {
    const idVar = CREDENTIAL_ENV.secretId[i];
    const keyVar = CREDENTIAL_ENV.secretKey[i];
    const tokenVar: string | undefined = CREDENTIAL_ENV.sessionToken[i];
    const envId = fromEnv(idVar);
    const envKey = fromEnv(keyVar);
    if (envId === undefined && envKey === undefined) continue;
    if (envId === undefined || envKey === undefined) {
      const [setVar, missingVar] = envId === undefined ? [keyVar, idVar] : [idVar, keyVar];
      throw new InputError({
        input: envId === undefined ? 'secret-id' : 'secret-key',
        subject: `Environment variable ${setVar} is set but ${missingVar} is not`,
        rule: 'keys come in pairs',
        fix: `set ${missingVar} too, or pass 'secret-id' and 'secret-key'`,
      });
    }
    const envToken = token ?? fromEnv(tokenVar);
    const tokenSource = token === undefined ? `env ${tokenVar}` : "'session-token'";
    return build(envId, envKey, envToken, [`env ${idVar}`, `env ${keyVar}`, tokenSource]);
  }
  const strayToken =
    token !== undefined ? "'session-token'" : CREDENTIAL_ENV.sessionToken.find((v) => fromEnv(v));
  if (strayToken !== undefined) {
    throw new InputError({
      input: 'session-token',
      subject: `${token !== undefined ? "Input 'session-token'" : `Environment variable ${strayToken}`} is set without keys`,
      rule: "a session token works only with its 'secret-id' and 'secret-key' (temporary credentials come as three)",
      fix: "set 'secret-id' and 'secret-key' too, or remove the token for anonymous access",
    });
  }
  return undefined;
}

function parseObjectTarget(get: Reader, key: string): ObjectTarget {
  if (key.endsWith('/')) {
    throw new InputError({
      input: 'key',
      value: key,
      rule: "a key ending in '/' is a folder marker, not a file",
      fix: `use 'prefix: ${key}' to download the folder`,
    });
  }
  if (key.startsWith('/')) {
    throw new InputError({
      input: 'key',
      value: key,
      rule: "object keys do not start with '/'",
      fix: `write '${key.replace(/^\/+/, '')}'`,
    });
  }
  parseText('key', key);
  for (const name of PREFIX_ONLY) {
    const value = get(name);
    if (value !== undefined) {
      throw new InputError({
        input: name,
        value,
        rule: "applies only to a folder mirror ('prefix'), not to one object ('key')",
        fix: `remove '${name}', or use 'prefix' instead of 'key'`,
      });
    }
  }
  const optional = <T>(name: InputName, parse: (text: string) => T): T | undefined => {
    const value = get(name);
    return value === undefined ? undefined : parse(value);
  };
  const versionId = optional('version-id', (t) => parseText('version-id', t.trim()));
  const range = optional('range', parseRange);
  const etag = (name: InputName) => (t: string) =>
    parseText(name, t.trim(), 'an ETag must not contain control characters');
  const ifMatch = optional('if-match', etag('if-match'));
  const ifNoneMatch = optional('if-none-match', etag('if-none-match'));
  const ifModifiedSince = optional('if-modified-since', (t) => parseDate('if-modified-since', t));
  const ifUnmodifiedSince = optional('if-unmodified-since', (t) => parseDate('if-unmodified-since', t));
  const conditions: Conditions = {
    ...(ifMatch === undefined ? {} : { ifMatch }),
    ...(ifNoneMatch === undefined ? {} : { ifNoneMatch }),
    ...(ifModifiedSince === undefined ? {} : { ifModifiedSince }),
    ...(ifUnmodifiedSince === undefined ? {} : { ifUnmodifiedSince }),
  };
  const overrideFields = [
    ['response-cache-control', 'cacheControl'],
    ['response-content-disposition', 'contentDisposition'],
    ['response-content-encoding', 'contentEncoding'],
    ['response-content-language', 'contentLanguage'],
    ['response-content-type', 'contentType'],
    ['response-expires', 'expires'],
  ] as const satisfies ReadonlyArray<readonly [InputName, keyof ResponseOverrides]>;
  const responseOverrides: { -readonly [K in keyof ResponseOverrides]: string } = {};
  for (const [name, field] of overrideFields) {
    const value = optional(name, (t) => parseText(name, t.trim()));
    if (value !== undefined) responseOverrides[field] = value;
  }
  return {
    kind: 'object',
    key,
    ...(versionId === undefined ? {} : { versionId }),
    ...(range === undefined ? {} : { range }),
    conditions,
    responseOverrides,
  };
}

function parsePrefixTarget(get: Reader, prefixText: string, deleteExtra: boolean): PrefixTarget {
  for (const name of OBJECT_ONLY) {
    const value = get(name);
    if (value !== undefined) {
      throw new InputError({
        input: name,
        value,
        rule: "applies only to one object ('key'), not to a folder mirror ('prefix')",
        fix: `remove '${name}', or download one object with 'key'`,
      });
    }
  }
  parseText('prefix', prefixText);
  if (prefixText !== '/' && prefixText.startsWith('/')) {
    throw new InputError({
      input: 'prefix',
      value: prefixText,
      rule: "a prefix does not start with '/' (only '/' alone means the whole bucket)",
      fix: `write '${prefixText.replace(/^\/+/, '')}'`,
    });
  }
  const include = get('include');
  const exclude = get('exclude');
  const shard = get('shard');
  return {
    kind: 'prefix',
    prefix: prefixText === '/' ? '' : prefixText,
    include: include === undefined ? [] : parseGlobs('include', include),
    exclude: exclude === undefined ? [] : parseGlobs('exclude', exclude),
    delete: deleteExtra,
    ...(shard === undefined ? {} : { shard: parseShard(shard) }),
  };
}

function endsWithSeparator(text: string): boolean {
  return text.endsWith('/') || (path.sep === '\\' && text.endsWith('\\'));
}

function resolveDestination(
  target: ObjectTarget | PrefixTarget,
  text: string | undefined,
  context: ParseContext,
): string {
  if (text !== undefined) {
    parseText('destination', text);
    if (text === '~' || text.startsWith('~/') || text.startsWith('~\\')) {
      throw new InputError({
        input: 'destination',
        value: text,
        rule: "'~' is not expanded: the destination is relative to the workspace",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, shown to the user
        fix: "use an absolute path (e.g. under '${{ runner.temp }}') or a path inside the workspace",
      });
    }
  }
  const resolved = text === undefined ? context.cwd : path.resolve(context.cwd, text);
  if (target.kind === 'prefix') return resolved;
  const baseName = target.key.slice(target.key.lastIndexOf('/') + 1);
  const needsBaseName = text === undefined || endsWithSeparator(text) || context.isDirectory(resolved);
  if (!needsBaseName) return resolved;
  if (baseName === '.' || baseName === '..') {
    throw new InputError({
      input: 'key',
      value: target.key,
      rule: `its base name '${baseName}' cannot name a file`,
      fix: "set 'destination' to a file path, e.g. 'download.bin'",
    });
  }
  return path.join(resolved, baseName);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** Parses and checks every input; returns deep-frozen Options or throws the first InputError. */
export function parseOptions(raw: RawInputs, context: ParseContext): Options {
  if (!path.isAbsolute(context.cwd)) throw new TypeError(`ParseContext.cwd must be absolute: ${context.cwd}`);
  const get: Reader = (name) => {
    const value = Object.hasOwn(raw, name) ? raw[name] : undefined;
    return value === undefined || value.trim() === '' ? undefined : value;
  };
  const orDefault = (name: InputName): string => get(name) ?? defaultOf(name);

  const bucketText = get('bucket');
  if (bucketText === undefined) {
    throw new InputError({ input: 'bucket', rule: 'required: the bucket to download from', fix: BUCKET_FIX });
  }
  const bucket = parseBucket(bucketText);

  const key = get('key');
  const prefix = get('prefix');
  if (key !== undefined && prefix !== undefined) {
    throw new InputError({
      input: 'key',
      subject: `Inputs 'key' = ${quoteValue(key)} and 'prefix' = ${quoteValue(prefix)} are both set`,
      rule: "exactly one may be set: 'key' downloads one object, 'prefix' mirrors every object under it",
      fix: "remove 'key' or 'prefix'",
    });
  }
  if (key === undefined && prefix === undefined) {
    throw new InputError({
      input: 'key',
      subject: "Neither 'key' nor 'prefix' is set",
      rule: 'exactly one says what to download',
      fix: "set 'key: path/to/file.bin' for one object, or 'prefix: path/to/folder/' ('/' = the whole bucket)",
    });
  }
  const deleteExtra = parseBoolean('delete', orDefault('delete'));
  const cache = parseBoolean('cache', orDefault('cache'));
  if (key !== undefined) {
    for (const [name, on] of [
      ['delete', deleteExtra],
      ['cache', cache],
    ] as const) {
      if (on) {
        throw new InputError({
          input: name,
          value: orDefault(name),
          rule: "applies only to a folder mirror ('prefix'), not to one object ('key')",
          fix: `remove '${name}', or use 'prefix' instead of 'key'`,
        });
      }
    }
  }
  const target =
    key !== undefined ? parseObjectTarget(get, key) : parsePrefixTarget(get, prefix ?? '', deleteExtra);
  const cacheKeyText = get('cache-key');
  if (cacheKeyText !== undefined && !cache) {
    throw new InputError({
      input: 'cache-key',
      value: cacheKeyText,
      rule: "is used only with 'cache: true' (and 'prefix')",
      fix: "set 'cache: true', or remove 'cache-key'",
    });
  }
  const cacheKey =
    cacheKeyText === undefined
      ? undefined
      : parseText('cache-key', cacheKeyText.trim(), 'must not contain control characters');
  if (cacheKey?.includes(',')) {
    throw new InputError({
      input: 'cache-key',
      value: cacheKey,
      rule: 'must not contain commas (the Actions cache refuses them)',
      fix: `write '${cacheKey.replaceAll(',', '-')}'`,
    });
  }

  const regionText = get('region');
  const region = regionText === undefined ? undefined : parseRegion(regionText);
  const accelerate = parseBoolean('accelerate', orDefault('accelerate'));
  const endpoint = resolveEndpoint({ bucket, region, endpoint: get('endpoint')?.trim(), accelerate });
  const credentials = parseCredentials(get, context.env);
  const retries = parseInteger('retries', orDefault('retries'), RETRIES_RANGE.min, RETRIES_RANGE.max);
  const timeoutMs = parseTimeout(orDefault('timeout'));

  const partSize = parsePartSize(orDefault('part-size'));
  const concurrency = parseInteger(
    'concurrency',
    orDefault('concurrency'),
    CONCURRENCY_RANGE.min,
    CONCURRENCY_RANGE.max,
  );
  const trafficText = get('traffic-limit');
  const trafficLimit = trafficText === undefined ? undefined : parseTrafficLimit(trafficText);
  const crc = parseBoolean('crc', orDefault('crc'));
  const overwrite = parseOverwrite(orDefault('overwrite'));
  const dryRun = parseBoolean('dry-run', orDefault('dry-run'));
  const sseText = get('sse-customer-key');
  const sseCustomerKey = sseText === undefined ? undefined : parseSseKey(sseText);
  const destination = resolveDestination(target, get('destination'), context);
  if (cache && encloses(destination, context.cwd)) {
    throw new InputError({
      input: 'destination',
      value: get('destination') ?? '.',
      rule: "with 'cache: true' the destination folder is saved whole, and this one holds the workspace",
      fix: "give the mirror a folder of its own, e.g. 'destination: downloads'",
    });
  }

  const options: Options = {
    connection: {
      bucket,
      ...(region === undefined ? {} : { region }),
      endpoint,
      ...(credentials === undefined ? {} : { credentials }),
      retries,
      timeoutMs,
    },
    target,
    destination,
    partSize,
    concurrency,
    ...(trafficLimit === undefined ? {} : { trafficLimit }),
    crc,
    overwrite,
    dryRun,
    ...(sseCustomerKey === undefined ? {} : { sseCustomerKey }),
    cache,
    ...(cacheKey === undefined ? {} : { cacheKey }),
  };
  return deepFreeze(options);
}

/** True when `folder` is `inner` or one of its ancestors. */
function encloses(folder: string, inner: string): boolean {
  const relative = path.relative(folder, inner);
  return (
    relative === '' ||
    (!relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative))
  );
}
