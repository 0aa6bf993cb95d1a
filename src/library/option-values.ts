// How a library option's typed value (a number, a boolean, a Date, an array of globs) becomes the
// text of its input, for the parser the CLI and the action share. A value of the wrong type is an
// OptionError naming the option.
import { quoteValue } from '../base/text.js';
import { OptionError } from './errors.js';

/** How a library option's value becomes the text of its input. */
export type Kind =
  | 'text'
  | 'boolean'
  | 'integer'
  | 'concurrency'
  | 'size'
  | 'duration'
  | 'date'
  | 'globs'
  | 'shard';

/** A value as a message shows it. */
export function shown(value: unknown): string {
  if (typeof value === 'string') return quoteValue(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : value.toISOString();
  if (Array.isArray(value)) return quoteValue(JSON.stringify(value));
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return 'an object';
    }
  }
  return String(value);
}

/** An OptionError for a value of the wrong type. */
export function wrongType(option: string, value: unknown, rule: string, fix: string): OptionError {
  const secret = option === 'sseCustomerKey' || option === 'url';
  return new OptionError({
    option,
    message: `Option '${option}' = ${secret ? '(hidden)' : shown(value)}: ${rule}. Fix: ${fix}.`,
    rule,
    fix,
  });
}

/** One option's value as the text its input takes. */
export function inputText(option: string, kind: Kind, value: unknown): string {
  if (typeof value === 'string') return value;
  switch (kind) {
    case 'boolean':
      if (typeof value === 'boolean') return String(value);
      throw wrongType(option, value, 'must be true or false', 'pass a boolean');
    case 'integer':
      if (typeof value === 'number') return String(value);
      throw wrongType(option, value, 'must be a whole number', 'pass a number');
    case 'concurrency':
      if (typeof value === 'number' || value === 'auto') return String(value);
      throw wrongType(option, value, "must be a whole number or 'auto'", "pass a number, or 'auto'");
    case 'size':
      // Never String(value): a plain number as text means MiB to the parser, and 1.5 would pass as 1.5 MiB.
      if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return `${value}B`;
      throw wrongType(
        option,
        value,
        typeof value === 'number'
          ? 'must be a whole number of bytes, more than 0'
          : 'must be a number of bytes or a size text',
        "e.g. 8 * 1024 * 1024 or '8MiB'",
      );
    case 'duration':
      if (typeof value === 'number')
        return Number.isFinite(value) && value >= 0 ? `${value}ms` : String(value);
      throw wrongType(
        option,
        value,
        'must be a number of milliseconds or a duration text',
        "e.g. 30_000 or '30s'",
      );
    case 'date':
      if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toUTCString();
      throw wrongType(
        option,
        value,
        'must be a valid Date or a date text',
        "e.g. new Date('2025-01-31T00:00:00Z')",
      );
    case 'globs':
      if (Array.isArray(value) && value.every((glob) => typeof glob === 'string')) return value.join('\n');
      throw wrongType(option, value, 'must be an array of globs (strings)', "e.g. ['**/*.tar.gz']");
    case 'shard':
      if (typeof value === 'object' && value !== null && 'index' in value && 'count' in value) {
        return `${String(value.index)}/${String(value.count)}`;
      }
      throw wrongType(
        option,
        value,
        'must be { index, count } or text like 1/4',
        'e.g. { index: 1, count: 4 }',
      );
    case 'text':
      throw wrongType(option, value, 'must be a string', 'pass a string');
  }
}
