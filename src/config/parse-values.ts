// Inputs that are words, names and dates: booleans, the overwrite mode, HTTP and ISO dates, the bucket
// and region, globs, the SSE-C key, and free text sent in a header (no control characters).
import type { Overwrite } from '../base/request.js';
import { hasControlCharacter } from '../base/text.js';
import { InputError } from './errors.js';
import type { InputName } from './inputs.js';

// ---------------------------------------------------------------------------------------------------------
// Booleans, dates, enums

/** `true` / `false` as YAML 1.2 core schema spells them: `true|True|TRUE|false|False|FALSE`. */
export function parseBoolean(name: InputName, text: string): boolean {
  const value = text.trim();
  if (/^(?:true|True|TRUE)$/.test(value)) return true;
  if (/^(?:false|False|FALSE)$/.test(value)) return false;
  throw new InputError({ input: name, value, rule: 'must be true or false', fix: "write 'true' or 'false'" });
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
export const BUCKET_FIX = "e.g. 'examplebucket-1250000000'";
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
export function parseText(
  name: InputName,
  text: string,
  rule = 'must not contain control characters',
): string {
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
