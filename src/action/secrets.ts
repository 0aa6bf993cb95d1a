// The forms of a secret the runner must mask, so no log line can hold any part of it.

/**
 * The forms of `value` to mask: as given, trimmed, and each of its lines trimmed. The runner masks
 * per log line, so a value read with a trailing newline (a key pasted from a file) or a multi-line
 * value would otherwise leave its parts unmasked; the parser trims what it uses.
 */
export function secretForms(value: string): string[] {
  const forms = new Set<string>([value, value.trim()]);
  for (const line of value.split(/\r\n|\r|\n/)) forms.add(line.trim());
  forms.delete('');
  return [...forms];
}
