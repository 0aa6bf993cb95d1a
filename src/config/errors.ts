// Errors of the input layer: one line naming the input, its value (never a secret's), the rule and the fix.
import { INPUTS, type InputName, type InputSpec } from './inputs.js';
import type { PendingInputName } from './pending-inputs.js';

export interface InputProblem {
  /** The input at fault (the first one, when several are involved). */
  readonly input: InputName | PendingInputName;
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

const MAX_SHOWN = 200;

export function isSecretInput(name: string): boolean {
  return Object.hasOwn(INPUTS, name) && (INPUTS[name as InputName] as InputSpec).secret === true;
}

/** True for C0/C1 control characters and the Unicode line/paragraph separators. */
function isControl(code: number): boolean {
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
}

/** True when the text holds a control character (a line break, NUL, …). */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (isControl(text.charCodeAt(i))) return true;
  return false;
}

const ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Text with its control characters escaped (as `\n`, `\u0000`), so it stays on one line. */
function escapeControls(text: string): string {
  if (!hasControlCharacter(text)) return text;
  let escaped = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    escaped += isControl(code) ? (ESCAPES[char] ?? `\\u${code.toString(16).padStart(4, '0')}`) : char;
  }
  return escaped;
}

/** A value quoted for a one-line message: control characters escaped, long values cut. */
export function quoteValue(value: string): string {
  const cut = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
  return `'${escapeControls(cut)}'`;
}

/** `Input 'name' = 'value'`, `Input 'name' = (hidden)` or `Input 'name' (not set)`. */
export function describeInput(input: InputName | PendingInputName, value: string | undefined): string {
  if (value === undefined) return `Input '${input}' (not set)`;
  return `Input '${input}' = ${isSecretInput(input) ? '(hidden)' : quoteValue(value)}`;
}

/** A bad input value, found before any request is made. */
export class InputError extends Error {
  override readonly name = 'InputError';
  /** The input at fault. */
  readonly input: InputName | PendingInputName;
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
