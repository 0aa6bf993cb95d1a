// Errors of the input layer: one line naming the input, its value (never a secret's), the rule and the fix.
// The action tells them in its inputs (`Input 'part-size' = '10MB': …`), the CLI in its flags
// (`--part-size '10MB': …`, see flagMessage): the same fields, two renderings.
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
  /**
   * The fix for a CLI user, when the action's cannot be retold in flags (it names a workflow
   * expression, say). Default: `fix` with its inputs written as flags.
   */
  readonly flagFix?: string | undefined;
  /** Replaces the `Input 'name' = 'value'` head when several inputs are involved. */
  readonly subject?: string | undefined;
  readonly cause?: unknown;
}

export function isSecretInput(name: string): boolean {
  return Object.hasOwn(INPUTS, name) && (INPUTS[name as InputName] as InputSpec).secret === true;
}

/** How a value is shown in a message: quoted, `(hidden)` for a secret, undefined when not set. */
function shownValue(input: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return isSecretInput(input) ? '(hidden)' : quoteValue(value);
}

/** `Input 'name' = 'value'`, `Input 'name' = (hidden)` or `Input 'name' (not set)`. */
export function describeInput(input: InputName, value: string | undefined): string {
  const shown = shownValue(input, value);
  return shown === undefined ? `Input '${input}' (not set)` : `Input '${input}' = ${shown}`;
}

/** A bad input value, found before any request is made. */
export class InputError extends Error {
  override readonly name = 'InputError';
  /** The input at fault. */
  readonly input: InputName;
  readonly rule: string;
  readonly fix: string;
  /** The value as shown in the message (quoted, or `(hidden)`); undefined when the input is not set. */
  readonly shownValue: string | undefined;
  /** The head that replaces `Input 'name' = 'value'`, when the problem gave one. */
  readonly subject: string | undefined;
  /** The fix as a CLI user needs it, when the problem gave one of its own. */
  readonly flagFix: string | undefined;

  constructor(problem: InputProblem) {
    const shown = shownValue(problem.input, problem.value);
    const subject = problem.subject === undefined ? undefined : escapeControls(problem.subject);
    const head = subject ?? describeInput(problem.input, problem.value);
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
    this.shownValue = shown;
    this.subject = subject;
    this.flagFix = problem.flagFix === undefined ? undefined : escapeControls(problem.flagFix);
  }
}

const KNOWN = new Set<string>(Object.keys(INPUTS));

function isBooleanInput(name: string): boolean {
  const fallback = Object.hasOwn(INPUTS, name) ? (INPUTS[name as InputName] as InputSpec).default : undefined;
  return fallback === 'true' || fallback === 'false';
}

/** A value as a shell word: bare when it is plain, else in single quotes. */
function shellWord(value: string): string {
  return /^[\w./:@%+=,{}-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/** `name: value` of a YAML-ish fix as the flag that says it: `--name value`, `--name`, `--no-name`. */
function flagSetting(name: string, value: string): string {
  if (isBooleanInput(name) && value === 'true') return `--${name}`;
  if (isBooleanInput(name) && value === 'false') return `--no-${name}`;
  return `--${name} ${shellWord(value)}`;
}

/**
 * A rule, fix or subject of the input layer told in CLI flags: `'name: value'` becomes
 * `--name value`, a quoted input name `'name'` becomes `--name`, `'name' = 'value'` becomes
 * `--name 'value'`, and the workspace is the current folder. Other quoted text (values) stays.
 */
export function inFlags(text: string): string {
  return text
    .replace(/'([a-z][a-z0-9-]*): ([^']*)'/g, (whole, name: string, value: string) =>
      KNOWN.has(name) ? flagSetting(name, value) : whole,
    )
    .replace(/'([a-z][a-z0-9-]*)' = /g, (whole, name: string) => (KNOWN.has(name) ? `--${name} ` : whole))
    .replace(/'([a-z][a-z0-9-]*)'/g, (whole, name: string) => (KNOWN.has(name) ? `--${name}` : whole))
    .replace(/^Inputs? (?=--)/, '')
    .replaceAll('the workspace', 'the current folder');
}

/**
 * The one line of an InputError for a CLI user, in flags:
 * `--part-size '10MB': 'MB' is ambiguous …. Fix: write it with a binary unit, e.g. '10MiB'.`
 */
export function flagMessage(error: InputError): string {
  let head = error.subject === undefined ? undefined : inFlags(error.subject);
  if (head === undefined && isBooleanInput(error.input) && /^'(true|false)'$/.test(error.shownValue ?? '')) {
    // A switch given bare (`--delete`) is named as typed, not as `--delete 'true'`.
    head = error.shownValue === "'true'" ? `--${error.input}` : `--no-${error.input}`;
  }
  head ??= `--${error.input}${error.shownValue === undefined ? ' (not set)' : ` ${error.shownValue}`}`;
  return `${head}: ${inFlags(error.rule)}. Fix: ${error.flagFix ?? inFlags(error.fix)}.`;
}
