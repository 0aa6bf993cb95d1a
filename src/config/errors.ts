// Errors of the input layer: one line naming the input, its value (never a secret's), the rule and the fix.
import { escapeControls, quoteValue } from '../base/text.js';
import { INPUTS, type InputName, type InputSpec } from './inputs.js';

export interface InputProblem {
  /** The input at fault (the first one, when several are involved). */
  readonly input: InputName;
  /** The raw value as given; absent when the input is not set. Hidden for secret inputs. */
  readonly value?: string | undefined;
  /** What must hold, e.g. `the last byte must not be before the first`. No trailing period. */
  readonly rule: string;
  /** How to fix it, e.g. `e.g. 'bytes=0-1023'`. No trailing period. */
  readonly fix: string;
  /** Replaces the `Input 'name' = 'value'` head when several inputs are involved. */
  readonly subject?: string;
  readonly cause?: unknown;
}

export function isSecretInput(name: string): boolean {
  return Object.hasOwn(INPUTS, name) && (INPUTS[name as InputName] as InputSpec).secret === true;
}

/** `Input 'name' = 'value'`, `Input 'name' = (hidden)` or `Input 'name' (not set)`. */
export function describeInput(input: InputName, value: string | undefined): string {
  if (value === undefined) return `Input '${input}' (not set)`;
  return `Input '${input}' = ${isSecretInput(input) ? '(hidden)' : quoteValue(value)}`;
}

/** A bad input value, found before any request is made. */
export class InputError extends Error {
  override readonly name = 'InputError';
  /** The input at fault. */
  readonly input: InputName;
  readonly rule: string;
  readonly fix: string;

  constructor(problem: InputProblem) {
    const head = escapeControls(problem.subject ?? describeInput(problem.input, problem.value));
    // A rule or fix may repeat what the user typed (`write 'a.txt'`): keep even that on one line.
    const rule = escapeControls(problem.rule);
    const fix = escapeControls(problem.fix);
    super(
      `${head}: ${rule}. Fix: ${fix}.`,
      problem.cause === undefined ? undefined : { cause: problem.cause },
    );
    this.input = problem.input;
    this.rule = rule;
    this.fix = fix;
  }
}
