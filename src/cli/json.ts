// `cos-download --json`: one JSON object on stdout, whatever happened. The schema is these types,
// and the README's "--json" section says the same. Keys are the action's output names; numbers
// are numbers, booleans booleans; crc64 stays a string (a 64-bit value JSON numbers cannot hold).
import type { RunResult } from '../core/download.js';
import type { FailureFacts } from '../core/failure.js';
import { type OutputValues, outputValuesFor } from '../core/outputs.js';
import type { ExitCode, StopSignal } from './exit-codes.js';

type ObjectResult = Extract<RunResult, { kind: 'object' }>['object'];
type MirrorResult = Extract<RunResult, { kind: 'prefix' }>['mirror'];

/** One file of a mirror: what was (or, in a dry run, would be) done with it. */
export interface JsonFile {
  readonly key: string;
  /** Relative to the destination, `/`-separated. */
  readonly path: string;
  readonly size: number;
  readonly action: 'download' | 'skip' | 'delete';
  readonly reason?: string | undefined;
}

/** What a run did, or in a dry run would do: the outputs, and for a prefix each file. */
export interface JsonResult extends OutputValues {
  readonly kind: 'object' | 'prefix';
  /**
   * An object: `downloaded`, `skipped` (unchanged, or `overwrite: never`), `not-modified` (304), or
   * `would-download` (dry run). A prefix: `mirrored`, or `dry-run`.
   */
  readonly status: ObjectResult['status'] | 'mirrored' | 'dry-run';
  readonly 'dry-run': boolean;
  /** An object: how its bytes were checked (`verified`, `disabled`, `no-crc-header`, `partial-range`). */
  readonly 'crc-check'?: string | undefined;
  /** An object that was skipped: why. */
  readonly reason?: string | undefined;
  /** A prefix: every file's fate, downloads and skips as decided, then deletions. */
  readonly files?: readonly JsonFile[];
  /** A prefix: keys that map to no safe local path, with the reason; they were not written. */
  readonly refused?: ReadonlyArray<{ readonly key: string; readonly reason: string }>;
  /** A prefix: ARCHIVE / DEEP_ARCHIVE keys, not downloaded. */
  readonly archived?: readonly string[];
  /** A prefix with `delete`: local files kept, as not written by cos-download or changed since. */
  readonly kept?: { readonly 'not-ours': number; readonly changed: number };
}

export interface JsonSuccess extends JsonResult {
  readonly ok: true;
  readonly 'exit-code': 0;
}

export interface JsonError {
  /** `usage`: a bad flag or input (exit 2); `failure`: exit 1; `interrupted`: exit 130 or 143. */
  readonly kind: 'usage' | 'failure' | 'interrupted';
  /** The one line also written to stderr. */
  readonly message: string;
  /** A usage error: the flag at fault, e.g. `--part-size`. */
  readonly flag?: string | undefined;
  /** COS's code (`NoSuchKey`) or the system's (`ECONNREFUSED`, `ENOSPC`). */
  readonly code?: string | undefined;
  /** The HTTP status COS answered with. */
  readonly status?: number | undefined;
  /** `x-cos-request-id`, for Tencent Cloud support. */
  readonly 'request-id'?: string | undefined;
  /** Interrupted: the signal. */
  readonly signal?: StopSignal | undefined;
}

export interface JsonFailure {
  readonly ok: false;
  readonly 'exit-code': Exclude<ExitCode, 0>;
  readonly error: JsonError;
  /** A mirror that stopped: what it had done (files written stay; a re-run skips them). */
  readonly partial?: JsonResult | undefined;
}

/** Everything `--json` can print. */
export type JsonReport = JsonSuccess | JsonFailure;

function mirrorExtras(mirror: MirrorResult) {
  return {
    files: mirror.files.map((f) => ({
      key: f.key,
      path: f.path,
      size: f.size,
      action: f.action,
      reason: f.reason,
    })),
    refused: mirror.refused.map((r) => ({ key: r.key, reason: r.reason })),
    archived: [...mirror.archived],
    kept: { 'not-ours': mirror.kept.notOurs, changed: mirror.kept.changed },
  };
}

function jsonResult(result: RunResult): JsonResult {
  const outputs = outputValuesFor(result);
  if (result.kind === 'object') {
    const object = result.object;
    return {
      kind: 'object',
      status: object.status,
      'dry-run': result.dryRun,
      ...outputs,
      'crc-check': object.status === 'downloaded' ? object.crcCheck : undefined,
      reason: object.status === 'skipped' ? object.reason : undefined,
    };
  }
  return {
    kind: 'prefix',
    status: result.dryRun ? 'dry-run' : 'mirrored',
    'dry-run': result.dryRun,
    ...outputs,
    ...mirrorExtras(result.mirror),
  };
}

export function jsonSuccess(result: RunResult): JsonSuccess {
  return { ok: true, 'exit-code': 0, ...jsonResult(result) };
}

export function jsonFailure(code: Exclude<ExitCode, 0>, error: JsonError, facts?: FailureFacts): JsonFailure {
  // JSON leaves out what is undefined: a failure without a code has no "code".
  return {
    ok: false,
    'exit-code': code,
    error: { ...error, code: facts?.code, status: facts?.status, 'request-id': facts?.requestId },
    partial: facts?.partial === undefined ? undefined : jsonResult(facts.partial),
  };
}

/** A report as printed: indented, one object, then a line break. */
export function formatJson(report: JsonReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
