// Raw inputs (strings, as the action or the CLI reads them) → the typed, deep-frozen Options the core runs
// on. Every check happens here, before any request. Pure: no I/O besides the injected `isDirectory`,
// `realpath` and `readFile`.
import path from 'node:path';
import { isStateSegment } from '../base/state-name.js';
import { quoteValue } from '../base/text.js';
import { resolveEndpoint } from './endpoint.js';
import { InputError } from './errors.js';
import { INPUTS, type InputName, type InputReader, type InputSpec } from './inputs.js';
import type { Concurrency, LinkTarget, ObjectTarget, Options, PrefixTarget } from './options.js';
import { parseCredentials } from './parse-credentials.js';
import { parseLinkTarget } from './parse-link.js';
import { parseCaCertInput, parseKeylessInputs } from './parse-network.js';
import { parseInteger, parsePartSize, parseTimeout, parseTrafficLimit } from './parse-numbers.js';
import { parseObjectTarget, parsePrefixTarget } from './parse-target.js';
import {
  BUCKET_FIX,
  parseBoolean,
  parseBucket,
  parseOverwrite,
  parseRegion,
  parseSseKey,
  parseText,
} from './parse-values.js';

/** Inputs as read: `''` (how `@actions/core` returns an unset input) and blank values count as absent. */
export type RawInputs = Partial<Record<InputName, string>>;

export interface ParseContext {
  /** Absolute path of the workspace: `destination` is relative to it. */
  readonly cwd: string;
  /** Environment, for the credential fallbacks in CREDENTIAL_ENV. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether the absolute path is an existing folder (for the `destination` rule of `key`). */
  readonly isDirectory: (absolutePath: string) => boolean;
  /**
   * The real path of an existing path (links resolved), or undefined when it does not exist. With
   * it, a relative destination that a link in the workspace leads outside the workspace is refused.
   */
  readonly realpath?: (absolutePath: string) => string | undefined;
  /**
   * Reads a whole regular file of at most `maxBytes` (the PEM file `ca-cert` names, relative to `cwd`),
   * throwing the file system's error (ENOENT, EISDIR, EFBIG…): `readRegularFile`. Needed only with that input.
   */
  readonly readFile?: (absolutePath: string, maxBytes: number) => Uint8Array | string;
}

export const CONCURRENCY_RANGE = { min: 1, max: 64 } as const;
export const RETRIES_RANGE = { min: 0, max: 20 } as const;

function defaultOf(name: InputName): string {
  const fallback = (INPUTS[name] as InputSpec).default;
  if (fallback === undefined) throw new TypeError(`input '${name}' has no default in INPUTS`);
  return fallback;
}

function endsWithSeparator(text: string): boolean {
  return text.endsWith('/') || (path.sep === '\\' && text.endsWith('\\'));
}

function resolveDestination(
  target: ObjectTarget | PrefixTarget | LinkTarget,
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
        flagFix: 'let the shell expand it (write ~/… unquoted), or give an absolute path',
      });
    }
  }
  const resolved = text === undefined ? context.cwd : path.resolve(context.cwd, text);
  if (target.kind === 'prefix') return resolved;
  const needsBaseName = text === undefined || endsWithSeparator(text) || context.isDirectory(resolved);
  if (!needsBaseName) return resolved;
  if (target.kind === 'link') {
    if (target.fileName === undefined) {
      throw new InputError({
        input: 'url',
        subject: `Input 'url' (the link to ${target.name})`,
        rule: `the destination is a folder, which takes the link's file name, but ${target.fileNameProblem ?? 'it has none'}`,
        fix: "set 'destination' to a file path, e.g. 'download.bin'",
      });
    }
    return path.join(resolved, target.fileName);
  }
  const baseName = target.key.slice(target.key.lastIndexOf('/') + 1);
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

/** `inner` is `outer` or lies under it. */
function within(outer: string, inner: string): boolean {
  const relative = path.relative(outer, inner);
  return (
    relative === '' ||
    (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
  );
}

/**
 * A destination never runs through cos-download's state folder, and a relative one stays in the
 * workspace: a symlink committed into the workspace must not lead the download outside it.
 */
function checkDestination(destination: string, text: string | undefined, context: ParseContext): void {
  const shown = text ?? '.';
  if (destination.split(/[\\/]/).some(isStateSegment)) {
    throw new InputError({
      input: 'destination',
      value: shown,
      rule: "it runs through '.cos-download', the folder where cos-download keeps its own files",
      fix: "choose another destination, e.g. 'downloads/'",
    });
  }
  const realpath = context.realpath;
  if (realpath === undefined || (text !== undefined && path.isAbsolute(text))) return;
  const workspace = realpath(context.cwd) ?? context.cwd;
  let existing = destination;
  while (realpath(existing) === undefined && path.dirname(existing) !== existing)
    existing = path.dirname(existing);
  const real = path.join(realpath(existing) ?? existing, path.relative(existing, destination));
  if (!within(workspace, real)) {
    throw new InputError({
      input: 'destination',
      value: shown,
      rule: `a link in the workspace leads it outside the workspace, to '${real}'`,
      fix: 'remove the link, or give that place as an absolute path if it is meant',
    });
  }
}

/** `value` and everything in it, frozen. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** Reads `raw` by name: blank and unset are both undefined. */
export function inputReader(raw: RawInputs): InputReader {
  return (name) => {
    const value = Object.hasOwn(raw, name) ? raw[name] : undefined;
    return value === undefined || value.trim() === '' ? undefined : value;
  };
}

/** Parses and checks every input; returns deep-frozen Options or throws the first InputError. */
export function parseOptions(raw: RawInputs, context: ParseContext): Options {
  if (!path.isAbsolute(context.cwd)) throw new TypeError(`ParseContext.cwd must be absolute: ${context.cwd}`);
  const get = inputReader(raw);
  const orDefault = (name: InputName): string => get(name) ?? defaultOf(name);

  if (parseBoolean('presign', orDefault('presign'))) {
    throw new InputError({
      input: 'presign',
      value: orDefault('presign'),
      rule: 'makes a link instead of downloading, so it is not a download option',
      fix: "run 'cos-download presign …' (the CLI) or call presignUrl (the library); the action takes 'presign: true'",
    });
  }
  const key = get('key');
  const prefix = get('prefix');
  const link = get('url');
  if (link !== undefined && (key !== undefined || prefix !== undefined)) {
    const other: InputName = key !== undefined ? 'key' : 'prefix';
    throw new InputError({
      input: 'url',
      subject: `Inputs 'url' and '${other}' = ${quoteValue(get(other) ?? '')} are both set`,
      rule: "exactly one may be set: 'url' downloads a link, 'key' one object, 'prefix' every object under it",
      fix: `remove 'url' or '${other}'`,
    });
  }
  if (link !== undefined) return parseLinkOptions(get, orDefault, link, context);

  const bucketText = get('bucket');
  if (bucketText === undefined) {
    throw new InputError({ input: 'bucket', rule: 'required: the bucket to download from', fix: BUCKET_FIX });
  }
  const bucket = parseBucket(bucketText);

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
      subject: "None of 'key', 'prefix' or 'url' is set",
      rule: 'exactly one says what to download',
      fix: "set 'key: path/to/file.bin' for one object, 'prefix: path/to/folder/' for a folder ('/' = the whole bucket), or 'url: LINK' for a link",
    });
  }
  const deleteExtra = parseBoolean('delete', orDefault('delete'));
  const allowEmpty = parseBoolean('allow-empty', orDefault('allow-empty'));
  const cache = parseBoolean('cache', orDefault('cache'));
  if (key !== undefined) {
    for (const [name, on] of [
      ['delete', deleteExtra],
      ['allow-empty', allowEmpty],
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
    key !== undefined
      ? parseObjectTarget(get, key)
      : parsePrefixTarget(get, prefix ?? '', { delete: deleteExtra, allowEmpty });
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
  const keyless = parseKeylessInputs(get, context, credentials);
  const caCert = parseCaCertInput(get, context);
  const { retries, timeoutMs, ...transfer } = parseTransferInputs(get, orDefault);
  const destination = resolveDestination(target, get('destination'), context);
  checkDestination(destination, get('destination'), context);
  if (cache && encloses(destination, context.cwd)) {
    throw new InputError({
      input: 'destination',
      value: get('destination') ?? '.',
      rule: "with 'cache: true' the destination folder is saved whole, and this one holds the workspace",
      fix: "give the mirror a folder of its own, e.g. 'destination: downloads'",
    });
  }

  const options: Options = {
    connection: { bucket, region, endpoint, credentials, retries, timeoutMs },
    caCert,
    keyless,
    target,
    destination,
    ...transfer,
    cache,
    cacheKey,
  };
  return deepFreeze(options);
}

/** How every download goes, whatever it downloads: requests, parts, checks, the local file. */
/** `auto` (sized from the machine by the core), or a number of requests, 1..64. */
function parseConcurrency(text: string): Concurrency {
  const value = text.trim();
  if (value.toLowerCase() === 'auto') return 'auto';
  const { min, max } = CONCURRENCY_RANGE;
  const number = /^\d{1,3}$/.test(value) ? Number(value) : undefined;
  if (number === undefined || number < min || number > max) {
    throw new InputError({
      input: 'concurrency',
      value,
      rule: `must be 'auto' or a whole number in ${min}..${max}`,
      fix: `e.g. '${Math.min(Math.max(number ?? 8, min), max)}', or 'auto' (the default: sized from the CPU count)`,
    });
  }
  return number;
}

function parseTransferInputs(get: InputReader, orDefault: (name: InputName) => string) {
  const trafficText = get('traffic-limit');
  const sseText = get('sse-customer-key');
  const trafficLimit = trafficText === undefined ? undefined : parseTrafficLimit(trafficText);
  const sseCustomerKey = sseText === undefined ? undefined : parseSseKey(sseText);
  return {
    retries: parseInteger('retries', orDefault('retries'), RETRIES_RANGE.min, RETRIES_RANGE.max),
    timeoutMs: parseTimeout(orDefault('timeout')),
    partSize: parsePartSize(orDefault('part-size')),
    concurrency: parseConcurrency(orDefault('concurrency')),
    trafficLimit,
    crc: parseBoolean('crc', orDefault('crc')),
    fsync: parseBoolean('fsync', orDefault('fsync')),
    overwrite: parseOverwrite(orDefault('overwrite')),
    dryRun: parseBoolean('dry-run', orDefault('dry-run')),
    sseCustomerKey,
  };
}

/** `url`: no bucket, no credentials; the connection is the link's origin, with the retries and timeout. */
function parseLinkOptions(
  get: InputReader,
  orDefault: (name: InputName) => string,
  text: string,
  context: ParseContext,
): Options {
  const target = parseLinkTarget(get, text);
  const caCert = parseCaCertInput(get, context);
  const { retries, timeoutMs, ...transfer } = parseTransferInputs(get, orDefault);
  const destination = resolveDestination(target, get('destination'), context);
  checkDestination(destination, get('destination'), context);
  return deepFreeze({
    connection: { bucket: '', endpoint: new URL(target.url).origin, retries, timeoutMs },
    caCert,
    target,
    destination,
    ...transfer,
    cache: false,
  } satisfies Options);
}

/** True when `folder` is `inner` or one of its ancestors. */
function encloses(folder: string, inner: string): boolean {
  const relative = path.relative(folder, inner);
  return (
    relative === '' ||
    (!relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative))
  );
}
