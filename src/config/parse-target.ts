// What to download: one object (`key` with its version, range, conditions and response overrides) or a
// folder mirror (`prefix` with its filters and shard). Inputs of the other kind are refused by name.
import type { Conditions, ResponseOverrides } from '../base/request.js';
import { InputError } from './errors.js';
import type { InputName, InputReader } from './inputs.js';
import type { ObjectTarget, PrefixTarget } from './options.js';
import { parseRange, parseShard } from './parse-numbers.js';
import { parseDate, parseGlobs, parseText } from './parse-values.js';

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

/** The conditional GET inputs (`if-match`, `if-none-match`, `if-modified-since`, `if-unmodified-since`). */
export function parseConditions(get: InputReader): Conditions {
  const optional = <T>(name: InputName, parse: (text: string) => T): T | undefined => {
    const value = get(name);
    return value === undefined ? undefined : parse(value);
  };
  const etag = (name: InputName) => (t: string) =>
    parseText(name, t.trim(), 'an ETag must not contain control characters');
  return {
    ifMatch: optional('if-match', etag('if-match')),
    ifNoneMatch: optional('if-none-match', etag('if-none-match')),
    ifModifiedSince: optional('if-modified-since', (t) => parseDate('if-modified-since', t)),
    ifUnmodifiedSince: optional('if-unmodified-since', (t) => parseDate('if-unmodified-since', t)),
  };
}

export function parseObjectTarget(get: InputReader, key: string): ObjectTarget {
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
  const conditions = parseConditions(get);
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
    versionId,
    range,
    conditions,
    responseOverrides,
  };
}

export function parsePrefixTarget(
  get: InputReader,
  prefixText: string,
  flags: Pick<PrefixTarget, 'delete' | 'allowEmpty'>,
): PrefixTarget {
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
    ...flags,
    shard: shard === undefined ? undefined : parseShard(shard),
  };
}
