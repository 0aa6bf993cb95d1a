// The library's options: their types (numbers, booleans, dates, arrays), checked by the parser the CLI
// and the action use, through the raw inputs they stand for (option-inputs.ts); its errors retold with
// the option's name.

import { statSync } from 'node:fs';
import { readRegularFile } from '../base/file-system.js';
import type { Logger as CoreLogger } from '../base/runtime.js';
import { InputError, isSecretInput } from '../config/errors.js';
import { INPUT_NAMES, type InputName } from '../config/inputs.js';
import type { Options } from '../config/options.js';
import { parseOptions } from '../config/parse.js';
import type { Credentials, CredentialsProvider, ProxyOptions, WebIdentityCredentials } from './connection.js';
import { OptionError } from './errors.js';
import { type Operation, optionName, rawInputsFor } from './option-inputs.js';
import { shown } from './option-values.js';

/**
 * Where log lines go. Every method is optional; by default the library logs nothing.
 * `console` fits once `warning` is mapped: `{ info: console.log, warning: console.warn }`.
 */
export interface Logger {
  /** Retries, timings and decisions, for troubleshooting. */
  readonly debug?: ((message: string) => void) | undefined;
  /** What is being done: a resume, a skipped file, a clock correction. */
  readonly info?: ((message: string) => void) | undefined;
  /** Something the caller should know about that did not stop the download. */
  readonly warning?: ((message: string) => void) | undefined;
}

/** The bucket, how to reach it, and what every call accepts besides. */
export interface ConnectionOptions {
  /** `BucketName-APPID`, e.g. `examplebucket-1250000000`. */
  readonly bucket: string;
  /** The bucket's region, e.g. `ap-guangzhou`. Required unless `endpoint` is a URL without `{region}`. */
  readonly region?: string | undefined;
  /**
   * Base URL; may hold `{bucket}` and `{region}`. Default `https://{bucket}.cos.{region}.myqcloud.com`.
   * A plain URL (e.g. the `endpoint` of {@link startEmulator}) is used as is.
   */
  readonly endpoint?: string | undefined;
  /** `true` uses the global acceleration domain `{bucket}.cos.accelerate.myqcloud.com`. Default `false`. */
  readonly accelerate?: boolean | undefined;
  /**
   * How requests are signed: a key (`{ secretId, secretKey }`), a {@link CredentialsProvider} of
   * yours, or a role to assume with an OIDC token ({@link WebIdentityCredentials}). Absent:
   * anonymous requests (a public-read bucket). The library reads no environment variable: pass
   * `process.env` values here yourself if you want them.
   */
  readonly credentials?: Credentials | CredentialsProvider | WebIdentityCredentials | undefined;
  /** A proxy for COS and STS requests; absent: every request goes direct (`HTTPS_PROXY` is not read). */
  readonly proxy?: ProxyOptions | undefined;
  /**
   * Path of a PEM file of CAs to trust besides Node's default ones (a TLS-inspecting proxy, a private
   * endpoint), relative to `process.cwd()`.
   */
  readonly caCert?: string | undefined;
  /** Retries per request for transient failures (connection drops, timeouts, 429, 5xx), 0..20. Default 5. */
  readonly retries?: number | undefined;
  /**
   * Idle timeout per request: a number of milliseconds, or text with a unit (`'500ms'`, `'30s'`, `'2m'`).
   * At most one hour. Default 60 s.
   */
  readonly timeout?: number | string | undefined;
  /** Aborting it stops the download; a large object keeps its checkpoint, so the next call resumes. */
  readonly signal?: AbortSignal | undefined;
  /** Where log lines go; default: nowhere. */
  readonly logger?: Logger | undefined;
}

/** What a single-object download and a prefix mirror share. */
export interface TransferOptions extends ConnectionOptions {
  /**
   * For {@link downloadObject}: the file to write; an existing folder or a path ending in `/` takes the
   * key's base name. For {@link mirrorPrefix}: the folder. Relative paths are resolved against
   * `process.cwd()`. Default: the current folder.
   */
  readonly destination?: string | undefined;
  /**
   * Multipart threshold and part size: a number of bytes, or text with a binary unit (`'512KiB'`,
   * `'8MiB'`, `'1GiB'`), 512 KiB..5 GiB. Default `'20MiB'`.
   */
  readonly partSize?: number | string | undefined;
  /**
   * Requests in flight at once, across objects and parts, 1..64. Default `'auto'`: from the CPU
   * count, 16 a core for small objects (32..64) and 4 a core for a large object's parts (8..32).
   */
  readonly concurrency?: number | 'auto' | undefined;
  /** `x-cos-traffic-limit` in bit/s per request, 819200..838860800. Default: no limit. */
  readonly trafficLimit?: number | undefined;
  /** Verify every byte against the object's CRC64. Default `true`. */
  readonly crc?: boolean | undefined;
  /**
   * fsync files and folders before each rename and before the manifest (durable across a power
   * loss). Default `false`, like curl, rclone and the COS SDKs.
   */
  readonly fsync?: boolean | undefined;
  /**
   * `'changed'` (default) skips files that match the remote object, `'always'` downloads anyway,
   * `'never'` keeps any existing file.
   */
  readonly overwrite?: 'changed' | 'always' | 'never' | undefined;
  /** Decide what would be downloaded, skipped and deleted, and write nothing. Default `false`. */
  readonly dryRun?: boolean | undefined;
  /** Base64 AES-256 key for objects stored with SSE-C. */
  readonly sseCustomerKey?: string | undefined;
  /**
   * Called when an object's bytes start to come: `length` bytes to write, of which `alreadyOnDisk`
   * an earlier, interrupted call left (a resume), so this call fetches `length - alreadyOnDisk`.
   */
  readonly onStart?: ((key: string, length: number, alreadyOnDisk: number) => void) | undefined;
  /**
   * Called as bytes this call fetched land on disk, with the size of each chunk (for a progress
   * bar); bytes kept from an earlier call are counted once, in `onStart`.
   */
  readonly onBytes?: ((count: number) => void) | undefined;
}

/** Options of {@link downloadObject}. */
export interface DownloadObjectOptions extends TransferOptions {
  /** The object's key, e.g. `releases/app-1.4.2.tar.gz`. */
  readonly key: string;
  /** Download this version of the object. */
  readonly versionId?: string | undefined;
  /** One byte range: `'bytes=first-last'`, `'bytes=first-'` or `'bytes=-suffix'`. */
  readonly range?: string | undefined;
  /** Download only if the ETag matches; otherwise the call fails (412). */
  readonly ifMatch?: string | undefined;
  /** Download only if the ETag differs; otherwise `notModified: true` and nothing is written. */
  readonly ifNoneMatch?: string | undefined;
  /** Download only if modified after this time; otherwise `notModified: true`. Text: an HTTP or ISO 8601 date. */
  readonly ifModifiedSince?: Date | string | undefined;
  /** Download only if not modified after this time; otherwise the call fails (412). */
  readonly ifUnmodifiedSince?: Date | string | undefined;
  /** Overrides `Cache-Control` of the response (`response-cache-control`). */
  readonly responseCacheControl?: string | undefined;
  /** Overrides `Content-Disposition` of the response. */
  readonly responseContentDisposition?: string | undefined;
  /** Overrides `Content-Encoding` of the response. */
  readonly responseContentEncoding?: string | undefined;
  /** Overrides `Content-Language` of the response. */
  readonly responseContentLanguage?: string | undefined;
  /** Overrides `Content-Type` of the response. */
  readonly responseContentType?: string | undefined;
  /** Overrides `Expires` of the response. */
  readonly responseExpires?: string | undefined;
}

/** One job's share of a prefix: shard `index` (counted from 1) of `count`. */
export interface Shard {
  /** 1..count. */
  readonly index: number;
  /** 1..1024. */
  readonly count: number;
}

/** Options of {@link mirrorPrefix}. */
export interface MirrorPrefixOptions extends TransferOptions {
  /** Mirror every object under this prefix; `'/'` is the whole bucket. */
  readonly prefix: string;
  /** Globs on the key relative to `prefix`: only matching keys (an array, or newline-separated text). */
  readonly include?: readonly string[] | string | undefined;
  /** Globs on the key relative to `prefix`: matching keys are left out. */
  readonly exclude?: readonly string[] | string | undefined;
  /**
   * Remove files under `destination` that this tool wrote earlier (its manifest says so) and the prefix
   * no longer holds. Files it never wrote are kept. Default `false`.
   */
  readonly delete?: boolean | undefined;
  /** Take only this share of the keys (`'1/4'` or `{ index: 1, count: 4 }`), for parallel jobs. */
  readonly shard?: Shard | string | undefined;
}

/** Input names in quotes (`'part-size'`, `'dry-run: true'`) that read differently as options. */
const QUOTED_INPUT = new RegExp(
  `'(${INPUT_NAMES.filter((input) => optionName(input) !== input).join('|')})(?=['\\s:])`,
  'g',
);

/** A rule or fix of the input layer, told in option names. */
function inOptionNames(text: string): string {
  return text.replace(QUOTED_INPUT, (_, input: InputName) => `'${optionName(input)}`);
}

const quiet = (): void => {};

/** The caller's logger (any of its levels may be missing) as the core's: what is missing is dropped. */
export function coreLogger(logger: Logger | undefined): CoreLogger {
  return { debug: logger?.debug ?? quiet, info: logger?.info ?? quiet, warning: logger?.warning ?? quiet };
}

/** Runs `work`, turning a late input error (one the core finds) into an OptionError. */
export async function withOptionErrors<T>(options: object, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error: unknown) {
    if (error instanceof InputError) throw asOptionError(error, options);
    throw error;
  }
}

/** An InputError retold with library option names: `Option 'partSize' = '10MB': …`. */
export function asOptionError(error: InputError, given: object): OptionError {
  const option = optionName(error.input);
  const tail = `: ${error.rule}. Fix: ${error.fix}.`;
  let head = error.message.endsWith(tail) ? error.message.slice(0, -tail.length) : error.message;
  const inputHead = `Input '${error.input}'`;
  if (head.startsWith(inputHead)) {
    let rest = head.slice(inputHead.length);
    // A typed value (a number of bytes, a Date) is shown as it was given, not as the text it became.
    const value = (given as Record<string, unknown>)[option];
    const typed = value !== undefined && typeof value !== 'string' && !Array.isArray(value);
    if (rest.startsWith(' = ') && typed && !isSecretInput(error.input)) {
      rest = ` = ${shown(value)}`;
    }
    head = `Option '${option}'${rest}`;
  } else {
    head = inOptionNames(head.replace(/^Inputs /, 'Options ').replace(/^Input /, 'Option '));
  }
  const rule = inOptionNames(error.rule);
  const fix = inOptionNames(error.fix);
  return new OptionError({ option, message: `${head}: ${rule}. Fix: ${fix}.`, rule, fix, cause: error });
}

/** What the parser reads besides the options: the library reads no environment variable. */
export const LIBRARY_CONTEXT = {
  env: {},
  isDirectory: (p: string) => statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false,
  readFile: readRegularFile,
};

/** Checks the options with the parser the CLI and the action use, and returns what the core runs on. */
export function parseLibraryOptions(operation: Exclude<Operation, 'presignUrl'>, options: object): Options {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${operation} takes an options object`);
  }
  const raw = rawInputsFor(operation, options);
  try {
    return parseOptions(raw, { cwd: process.cwd(), ...LIBRARY_CONTEXT });
  } catch (error: unknown) {
    if (error instanceof InputError) throw asOptionError(error, options);
    throw error;
  }
}
