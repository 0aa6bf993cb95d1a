// What the edges say about a run that failed: its one line, the codes behind it, and for a mirror
// that stopped part-way what it did before. The CLI prints these in --json; the action writes them
// into the job summary.
import { errorMessage } from '../base/error-message.js';
import { LocalFileError } from '../base/local-errors.js';
import { InputError } from '../config/errors.js';
import type { Options } from '../config/options.js';
import { CosError, NetworkError, TlsError } from '../cos/errors.js';
import { MirrorError } from '../transfer/mirror.js';
import type { PrefixRunResult } from './download.js';
import { summaryFor } from './outputs.js';
import type { SummaryTable } from './summary.js';

export interface FailureFacts {
  /** The one line, as `setFailed` and the CLI say it. */
  readonly message: string;
  /** COS's code (`NoSuchKey`), or the system's (`ECONNREFUSED`, `ENOSPC`), when there is one. */
  readonly code?: string | undefined;
  /** The HTTP status COS answered with. */
  readonly status?: number | undefined;
  /** `x-cos-request-id`, to quote to Tencent Cloud support. */
  readonly requestId?: string | undefined;
  /** The input at fault, for a bad input. */
  readonly input?: string | undefined;
  /** A mirror that stopped: what it had done. */
  readonly partial?: PrefixRunResult | undefined;
}

function codeOf(error: unknown): string | undefined {
  if (error instanceof CosError) return error.code;
  if (error instanceof LocalFileError || error instanceof NetworkError || error instanceof TlsError) {
    return error.code;
  }
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

export function failureFacts(error: unknown, options?: Pick<Options, 'dryRun'>): FailureFacts {
  // A mirror's failure is told by its first cause: that is where the code is.
  const cause = error instanceof MirrorError && error.cause !== undefined ? error.cause : error;
  return {
    message: errorMessage(error),
    code: codeOf(cause),
    status: cause instanceof CosError ? cause.status : undefined,
    requestId: cause instanceof CosError ? cause.requestId : undefined,
    input: error instanceof InputError ? error.input : undefined,
    partial:
      error instanceof MirrorError
        ? { kind: 'prefix', mirror: error.result, dryRun: options?.dryRun ?? false }
        : undefined,
  };
}

/** The job summary of a failed run: what was asked, what failed, and what a mirror did before. */
export function failureSummary(facts: FailureFacts, asked: string | undefined): SummaryTable[] {
  const detail = [
    facts.code === undefined ? undefined : `code ${facts.code}`,
    facts.status === undefined ? undefined : `HTTP ${facts.status}`,
    facts.requestId === undefined ? undefined : `request id ${facts.requestId}`,
  ]
    .filter((part) => part !== undefined)
    .join(', ');
  const tables: SummaryTable[] = [
    {
      heading: 'COS download failed',
      header: ['Asked', 'What failed', 'Details'],
      rows: [[asked ?? '(the inputs could not be read)', facts.message, detail]],
    },
  ];
  if (facts.partial !== undefined) {
    for (const table of summaryFor(facts.partial)) {
      tables.push({ ...table, heading: `${table.heading}: done before the failure` });
    }
  }
  return tables;
}
