// Shared by the input-parsing tests: catching an InputError, checking its one-line message, and a
// parse context with a fake workspace (no I/O).
import path from 'node:path';
import { expect } from 'vitest';
import { errorMessage } from '../../src/base/error-message.js';
import { quoteValue } from '../../src/base/text.js';
import { InputError } from '../../src/config/errors.js';
import type { InputName } from '../../src/config/inputs.js';
import type { ParseContext, RawInputs } from '../../src/config/parse.js';

export function catchInputError(action: () => unknown): InputError {
  try {
    action();
  } catch (error: unknown) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError, but nothing was thrown');
}

export interface RejectOptions {
  readonly secret?: boolean;
  readonly fix?: string;
  readonly rule?: string;
}

/** The message names the input, shows the value (or hides it), states a rule and a fix, on one line. */
export function expectRejected(
  action: () => unknown,
  input: InputName,
  value: string | undefined,
  options: RejectOptions = {},
): InputError {
  const error = catchInputError(action);
  expect(error.input).toBe(input);
  expect(error.message).not.toMatch(/[\n\r]/);
  expect(error.message).toMatch(/: .+\. Fix: .+\.$/);
  if (value !== undefined) {
    if (options.secret === true) {
      expect(error.message).toContain('(hidden)');
      if (value.trim() !== '') expect(error.message).not.toContain(value.trim());
    } else {
      expect(error.message).toContain(`Input '${input}' = ${quoteValue(value.trim())}`);
    }
  }
  if (options.fix !== undefined) expect(error.fix).toContain(options.fix);
  if (options.rule !== undefined) expect(error.rule).toContain(options.rule);
  return error;
}

/** Anything but an InputError escaping a parser is a bug. */
export function returnsOrInputError(action: () => unknown): void {
  try {
    action();
  } catch (error: unknown) {
    expect(error).toBeInstanceOf(InputError);
    expect(errorMessage(error)).not.toMatch(/[\n\r]/);
  }
}

export function isDeeplyFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeeplyFrozen);
}

export const CWD = path.resolve('/work/ws');
export const SECRET_KEY_32 = Buffer.alloc(32, 7).toString('base64');

export function context(directories: readonly string[] = [], env: ParseContext['env'] = {}): ParseContext {
  const folders = new Set(directories.map((d) => path.resolve(CWD, d)));
  return { cwd: CWD, env, isDirectory: (p) => folders.has(p) };
}

export const BASE = {
  bucket: 'examplebucket-1250000000',
  region: 'ap-guangzhou',
} as const satisfies RawInputs;
