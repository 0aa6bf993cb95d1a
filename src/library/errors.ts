// The library's own errors. The failures of the layers below (COS, the wire, the disk) are thrown as
// they are and exported from the index, so `instanceof` works on all of them.
import type { MirrorPrefixResult } from './results.js';

/** What an {@link OptionError} is made of. */
export interface OptionProblem {
  /** The option at fault, e.g. `partSize` or `credentials.secretId`. */
  readonly option: string;
  /** The whole one-line message. */
  readonly message: string;
  /** What must hold. */
  readonly rule: string;
  /** How to fix it. */
  readonly fix: string;
  /** The error this one retells, if any. */
  readonly cause?: unknown;
}

/**
 * A bad option, found before any request is made. The message is one line naming the option, its
 * value (never a secret's), the rule and the fix:
 * `Option 'partSize' = '10MB': 'MB' is ambiguous …. Fix: write '10MiB'.`
 */
export class OptionError extends Error {
  /** `'OptionError'`. */
  override readonly name = 'OptionError';
  /** The option at fault, e.g. `partSize` or `credentials.secretId`. */
  readonly option: string;
  /** What must hold, e.g. `must be a whole number in 1..64`. */
  readonly rule: string;
  /** How to fix it, e.g. `e.g. '8'`. */
  readonly fix: string;

  /** Made by the library's calls; exported for `instanceof` and the fields. */
  constructor(problem: OptionProblem) {
    super(problem.message, problem.cause === undefined ? undefined : { cause: problem.cause });
    this.option = problem.option;
    this.rule = problem.rule;
    this.fix = problem.fix;
  }
}

/**
 * A prefix mirror that did not complete: the listing failed, or some downloads did. `result` tells
 * what was done before it stopped (files already written stay, and a re-run skips them); `cause` is
 * the first failure (a {@link CosError}, a `ProtocolError`, …).
 */
export class MirrorPrefixError extends Error {
  /** `'MirrorPrefixError'`. */
  override readonly name = 'MirrorPrefixError';
  /** What the mirror did before it stopped; `manifest` is the manifest it wrote, if any. */
  readonly result: MirrorPrefixResult;

  /** Made by {@link mirrorPrefix}; exported for `instanceof` and `result`. */
  constructor(message: string, result: MirrorPrefixResult, cause: unknown) {
    super(message, { cause });
    this.result = result;
  }
}
